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
from .registry import (
    BUILTIN_STORES,
    DEFAULT_PATHS,
    PATH_SCHEMES,
    URL_SCHEMES,
    StoreSpec,
    entry_point_stores,
    known_schemes,
    lookup_name,
)

ENV_STORE = "SESSION_CORE_STORE"
ENV_STORE_ARGS = "SESSION_CORE_STORE_ARGS"
DEFAULT_STORE = "sqlite"
STATE_DIR = ".session_core"
#: Settings under ``[tool.session_core]`` besides the store (read by the modules they concern).
TOOL_KEYS = ("heartbeat",)

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)
_CLASS_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_SHORT_NAME = re.compile(r"^[A-Za-z_][\w-]*$")


def find_project_root(start: Path | str | None = None) -> Path:
    """The nearest folder at or above ``start`` holding a ``pyproject.toml``, else ``start``."""
    here = Path(start or os.getcwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return here


def ensure_state_dir(project_path: Path) -> Path:
    """Create ``<project>/.session_core``, ignored by git: the default stores live there."""
    state = project_path / STATE_DIR
    ignore_in_git(state)
    return state


def ignore_in_git(folder: Path) -> None:
    """Create ``folder`` with a ``.gitignore`` of ``*`` (as pytest does for its cache): a store
    kept inside the project would otherwise make every run after the first find the repository
    dirty. An unwritable folder is left alone; the store reports it when it opens."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            ignore.write_text("# created by session-core: the run history stays out of git\n*\n")
        except OSError:
            pass


def ignore_new_store_folder(path: Any) -> None:
    """Create the folder a local store path needs, ignored by git, when it does not exist yet.

    That folder is the path itself when it has no file suffix (every built-in store takes such
    a path as a folder of its own: Kedro's default ``<project>/sessions`` is one), else its
    parent (``.session_core/`` for ``.session_core/sessions.db``). An existing folder is the
    user's and is left alone, and so are URLs.
    """
    if not isinstance(path, (str, os.PathLike)) or "://" in os.fspath(path):
        return
    target = Path(path).expanduser()
    folder = target.parent if target.suffix else target
    if not folder.exists():
        ignore_in_git(folder)


def parse_store(
    value: str, options: dict[str, Any] | None, project_path: Path, setting: str = "store"
) -> StoreSpec:
    """Turn one store setting into a :class:`StoreSpec`.

    Raises:
        ConfigError: naming ``setting`` and the accepted forms.
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(setting, value, "expected a non-empty string")
    if options is not None and not isinstance(options, dict):
        raise ConfigError(f"{setting} arguments", options, "expected a mapping of option names to values")
    value = value.strip()
    options = dict(options or {})
    path = options.pop("path", None)
    if match := _URL.match(value):
        return _parse_url(match["scheme"].lower(), match["rest"], value, options, path, project_path, setting)
    if _CLASS_PATH.match(value):
        return StoreSpec(value, project_relative(path, project_path), options)
    if _SHORT_NAME.match(value):
        class_path, extra, name = lookup_name(value, setting)
        if path is None and value.lower() == "memory":
            path = "memory://session_core"
        elif path is None and name in DEFAULT_PATHS:
            ensure_state_dir(project_path)
            path = DEFAULT_PATHS[name]
        return StoreSpec(class_path, project_relative(path, project_path), options, extra)
    raise ConfigError(setting, value, "not a short name, a URL or a package.module:Class path")


def _parse_url(
    scheme: str,
    rest: str,
    url: str,
    options: dict[str, Any],
    path: Any,
    project_path: Path,
    setting: str,
) -> StoreSpec:
    if path is not None:
        raise ConfigError(setting, url, "give the path in the URL or as an argument, not both")
    if scheme in PATH_SCHEMES:
        class_path, extra, _ = lookup_name(PATH_SCHEMES[scheme], setting)
        if not rest.startswith("/") or rest == "/":
            raise ConfigError(
                setting, url, f"write {scheme}:///relative/path or {scheme}:////absolute/path"
            )
        return StoreSpec(class_path, project_relative(rest[1:], project_path), options, extra)
    if scheme in URL_SCHEMES:
        class_path, extra, _ = lookup_name(URL_SCHEMES[scheme], setting)
        return StoreSpec(class_path, url, options, extra)
    if scheme in entry_point_stores():
        class_path, extra, _ = lookup_name(scheme, setting)
        return StoreSpec(class_path, url, options, extra)
    raise ConfigError(
        setting, url, f"unknown URL scheme {scheme!r} (known: {', '.join(known_schemes())})"
    )


def project_relative(path: Any, project_path: Path) -> Any:
    """Relative local paths are taken relative to the project folder, not the current one."""
    if isinstance(path, (str, os.PathLike)) and "://" not in str(path):
        candidate = Path(path).expanduser()
        return str(candidate if candidate.is_absolute() else project_path / candidate)
    return path


def parse_option_pairs(pairs: list[str], setting: str = "--arg") -> dict[str, Any]:
    """``["timeout=5", "name=x"]`` -> ``{"timeout": 5, "name": "x"}`` (values parsed as JSON
    when they are valid JSON, else kept as strings)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(setting, pair, "write each store argument as KEY=VALUE")
        try:
            options[key.strip()] = json.loads(raw)
        except ValueError:
            options[key.strip()] = raw
    return options


def _env_setting() -> tuple[str, dict[str, Any]] | None:
    value = os.environ.get(ENV_STORE)
    if not value:
        return None
    raw_args = os.environ.get(ENV_STORE_ARGS)
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
    """Apply the resolution order and return the spec of the store to use."""
    root = Path(project_path).absolute() if project_path else find_project_root()
    if isinstance(store, StoreSpec):
        return store
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
            spec = parse_store(kedro.store, kedro.args, root, kedro.setting)
            # only our own stores' folders, and not for the no-op store (Kedro gives it a path too)
            if kedro.store in BUILTIN_STORES and spec.store_class().capabilities.durable:
                ignore_new_store_folder(spec.path)
            return spec
    return parse_store(DEFAULT_STORE, store_args, root, "default store")
