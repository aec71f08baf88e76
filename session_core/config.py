"""Which store a session uses, resolved from configuration, never from code edits.

Resolution order (the first that is set wins):

1. the explicit argument (``Session.create(store=...)``, ``--store``);
2. the ``SESSION_CORE_STORE`` environment variable, with ``SESSION_CORE_STORE_ARGS`` (a JSON
   object) for its options;
3. ``store`` / ``store_args`` under ``[tool.session_core]`` in the project's ``pyproject.toml``;
4. in a Kedro project (``[tool.kedro]`` in ``pyproject.toml``), ``SESSION_STORE_CLASS`` /
   ``SESSION_STORE_ARGS`` from its settings module, read without importing kedro
   (:mod:`session_core.kedro.settings`, imported only for Kedro projects);
5. the embedded default: SQLite at ``<project>/.session_core/sessions.db``.

A store is named by short name (``sqlite``), URL (``sqlite:///runs.db``, ``s3://bucket/prefix``,
``memory://``) or class path (``package.module:Class``), with options.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .location import (
    Location,
    UrlForm,
    find_project_root,
    looks_like_path,
    merge_options,
    option_value,
    parse_path,
    parse_url,
    split_scheme,
    suggest,
)
from .registry import (
    DEFAULT_PATHS,
    PATH_SUFFIXES,
    StoreSpec,
    known_schemes,
    lookup_name,
    scheme_store,
)

ENV_STORE = "SESSION_CORE_STORE"
ENV_STORE_ARGS = "SESSION_CORE_STORE_ARGS"
DEFAULT_STORE = "sqlite"
STATE_DIR = ".session_core"
#: Settings under ``[tool.session_core]`` besides the store (read by the modules they concern).
TOOL_KEYS = ("heartbeat",)

_CLASS_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_SHORT_NAME = re.compile(r"^[A-Za-z_][\w-]*$")

__all__ = ["find_project_root", "parse_option_pairs", "parse_store", "resolve_store"]


def parse_store(
    value: str, options: dict[str, Any] | None, project_path: Path, setting: str = "store"
) -> StoreSpec:
    """Turn one store setting into a :class:`StoreSpec`, without touching the filesystem.

    Locations are read by :mod:`session_core.location` (relative to ``project_path``); a
    ``path`` option is a location too, and a URL's query adds options.

    Raises:
        ConfigError: naming ``setting``; the accepted forms are listed when the form is wrong.
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(setting, value, "expected a non-empty string", forms=True)
    if options is not None and not isinstance(options, dict):
        raise ConfigError(f"{setting} arguments", options, "expected a mapping of option names to values")
    value = value.strip()
    options = dict(options or {})
    path = options.pop("path", None)
    if (scheme := split_scheme(value)) is not None:
        if path is not None:
            raise ConfigError(setting, value, "give the path in the URL or as an argument, not both")
        return _from_url(scheme, value, options, project_path, setting)
    if _CLASS_PATH.match(value):
        return _with_location(value, None, path, options, project_path, setting)
    if _SHORT_NAME.match(value):
        class_path, extra, name = lookup_name(value, setting)
        if path is None and name == "memory":
            path = "memory://session_core"
        elif path is None and name in DEFAULT_PATHS:
            path = DEFAULT_PATHS[name]
        return _with_location(class_path, extra, path, options, project_path, setting)
    if looks_like_path(value):
        return _from_plain_path(value, options, path, project_path, setting)
    raise ConfigError(setting, value, "not a short name, a URL, a path or a package.module:Class path", forms=True)


def _from_url(scheme: str, url: str, options: dict[str, Any], project_path: Path, setting: str) -> StoreSpec:
    found = scheme_store(scheme)
    if found is None:
        known = known_schemes()
        close = suggest(scheme, known)
        hint = f"did you mean {close}://? " if close else ""
        raise ConfigError(setting, url, f"unknown URL scheme {scheme!r}; {hint}known: {', '.join(known)}", forms=True)
    name, form = found
    class_path, extra, _ = lookup_name(name, setting)
    location = parse_url(url, form, project_path, setting)
    return StoreSpec(class_path, location.target, merge_options(location.options, options, setting), extra, location)


def _from_plain_path(
    value: str, options: dict[str, Any], path: Any, project_path: Path, setting: str
) -> StoreSpec:
    if path is not None:
        raise ConfigError(setting, value, "give the path as the store or as an argument, not both")
    name = PATH_SUFFIXES.get(Path(value).suffix.lower())
    if name is None:
        suffixes = ", ".join(PATH_SUFFIXES)
        raise ConfigError(
            setting, value,
            f"a plain path names a store by its file suffix ({suffixes}); for a folder say which "
            f"store keeps it: json:///{value.lstrip('/')} or shelve:///{value.lstrip('/')} (four slashes when absolute)",
        )
    class_path, extra, _ = lookup_name(name, setting)
    return _with_location(class_path, extra, value, options, project_path, setting)


def _with_location(
    class_path: str, extra: str | None, path: Any, options: dict[str, Any], project_path: Path, setting: str
) -> StoreSpec:
    location = path_location(path, project_path, setting)
    if location is None:
        return StoreSpec(class_path, path, options, extra)
    return StoreSpec(class_path, location.target, merge_options(location.options, options, setting), extra, location)


def path_location(path: Any, project_path: Path, setting: str) -> Location | None:
    """A ``path`` option read as a location: a URL as its scheme is read, else a plain path
    relative to the project; ``None`` for no path or a value that is not a path."""
    if isinstance(path, str) and (scheme := split_scheme(path)) is not None:
        found = scheme_store(scheme)
        return parse_url(path, found[1] if found else UrlForm.OPAQUE, project_path, f"{setting} path")
    if isinstance(path, (str, os.PathLike)):
        return parse_path(path, project_path)
    return None


def parse_option_pairs(pairs: list[str], setting: str = "--arg") -> dict[str, Any]:
    """``["timeout=5", "name=x"]`` -> ``{"timeout": 5, "name": "x"}`` (values parsed as JSON
    when they are valid JSON, else kept as strings)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(setting, pair, "write each store argument as KEY=VALUE")
        options[key.strip()] = option_value(raw)
    return options


def _env_setting() -> tuple[str, dict[str, Any]] | None:
    """``SESSION_CORE_STORE`` and its ``SESSION_CORE_STORE_ARGS``, or ``None`` when unset.

    Raises:
        ConfigError: the arguments are not a JSON object, or are set without the store.
    """
    value = os.environ.get(ENV_STORE)
    raw_args = os.environ.get(ENV_STORE_ARGS)
    if not value:
        if raw_args:
            raise ConfigError(
                ENV_STORE_ARGS, raw_args,
                f"is set but {ENV_STORE} is not; set {ENV_STORE} to the store these options are for, or unset {ENV_STORE_ARGS}",
            )
        return None
    if not raw_args:
        return value, {}
    try:
        args = json.loads(raw_args)
    except ValueError as exc:
        raise ConfigError(ENV_STORE_ARGS, raw_args, f"not valid JSON ({exc})") from exc
    if not isinstance(args, dict):
        raise ConfigError(ENV_STORE_ARGS, raw_args, "expected a JSON object such as {\"timeout\": 5}")
    return value, args


def _load_pyproject(project_path: Path) -> dict[str, Any]:
    """The project's ``pyproject.toml`` as a dict (empty when there is none).

    A file that never names ``session_core`` or ``kedro`` cannot configure us, and is not
    parsed: importing tomllib and parsing cost about 9 ms of every ``list`` (its regexes).
    """
    pyproject = project_path / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    try:
        text = pyproject.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(pyproject), "(file)", f"not valid UTF-8 ({exc})") from exc
    if "session_core" not in text and "kedro" not in text:
        return {}
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(pyproject), "(file)", f"not valid TOML ({exc})") from exc


def _pyproject_setting(project_path: Path, tool: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    pyproject = project_path / "pyproject.toml"
    section = tool.get("session_core")
    if not section:
        return None
    if not isinstance(section, dict) or not {"store", *TOOL_KEYS} & set(section):
        raise ConfigError(
            f"[tool.session_core] in {pyproject}", section, "expected a `store = \"...\"` key"
        )
    unknown = set(section) - {"store", "store_args", *TOOL_KEYS}
    if unknown:
        raise ConfigError(
            f"[tool.session_core] in {pyproject}", sorted(unknown),
            f"only {', '.join(f'`{key}`' for key in ('store', 'store_args', *TOOL_KEYS))} are read",
        )
    if "store" not in section:
        return None
    return section["store"], section.get("store_args") or {}


def tool_setting(project_path: Path, key: str) -> Any:
    """The value of ``key`` (one of :data:`TOOL_KEYS`) under ``[tool.session_core]``, or None."""
    section = (_load_pyproject(project_path).get("tool") or {}).get("session_core")
    return section.get(key) if isinstance(section, dict) else None


def resolve_store(
    store: str | StoreSpec | None = None,
    store_args: dict[str, Any] | None = None,
    project_path: Path | str | None = None,
) -> StoreSpec:
    """Apply the resolution order and return the spec of the store to use.

    Nothing is created and no store class is imported: a store's folder is made when it first
    opens for writing, and its options are checked as it opens (before anything else), which
    the commands do up front (``commands._common.store_spec``).

    Raises:
        ConfigError: naming the setting that is wrong (never spooled: it is not an outage).
    """
    root = Path(project_path).absolute() if project_path else find_project_root()
    if isinstance(store, StoreSpec):
        return store
    return _resolve(store, store_args, root)


def _resolve(store: str | None, store_args: dict[str, Any] | None, root: Path) -> StoreSpec:
    if store is not None:
        return parse_store(store, store_args, root, "store")
    if env := _env_setting():
        return parse_store(env[0], env[1], root, ENV_STORE)
    tool = _load_pyproject(root).get("tool") or {}
    if section := _pyproject_setting(root, tool):
        return parse_store(section[0], section[1], root, f"[tool.session_core] store in {root / 'pyproject.toml'}")
    if isinstance(tool.get("kedro"), dict):
        from .kedro.settings import read_store_setting

        if kedro := read_store_setting(root, tool["kedro"]):
            return parse_store(kedro.store, kedro.args, root, kedro.setting)
    return parse_store(DEFAULT_STORE, store_args, root, "default store")
