"""A Kedro project's ``SESSION_STORE_CLASS`` / ``SESSION_STORE_ARGS``, read without kedro.

``python -m session_core list`` in a Kedro project must find the store that ``kedro run`` writes
to. The settings module is ``<source_dir>/<package_name>/settings.py``, named by ``[tool.kedro]``
in ``pyproject.toml`` (``source_dir`` defaults to ``src``, as in Kedro).

The module is first read as text with :mod:`ast`, which runs nothing and imports nothing (not
kedro, not the project): ``SESSION_STORE_CLASS`` must then be a name bound by a top-level import
(``from session_core.kedro import KedroSQLiteStore``, ``import session_core.kedro`` +
``session_core.kedro.KedroSQLiteStore``) and ``SESSION_STORE_ARGS`` a literal dict. When either is
computed (``{"path": str(Path(__file__).parent / "x")}``, as Kedro's docs write it), the module
is run instead, in a process of its own (:mod:`session_core.kedro.run_settings`), with the
source folder on ``sys.path`` as Kedro puts it: whatever the module imports, prints or
configures (kedro's logging handler on stdout) stays there, and stdout carries only our output.

Our Kedro-facing classes (:mod:`session_core.kedro.store`) resolve to the store they write to:
``KedroSQLiteStore`` to ``sqlite``, ``KedroStore`` to its ``store`` argument
(``{"store": "duckdb:///runs.duckdb"}``), so reading needs no kedro; Kedro's own no-op default
resolves to nothing (the next source of the configuration order applies). Like Kedro, a store
with no ``path`` gets ``<project>/sessions``. :func:`choose_store` is the one rule, shared with
:class:`~session_core.kedro.store.KedroStore` itself, for which store a class and its arguments
mean.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

CLASS_SETTING = "SESSION_STORE_CLASS"
ARGS_SETTING = "SESSION_STORE_ARGS"
#: Kedro's default store, which persists nothing: not a choice of store for our purposes
KEDRO_DEFAULT = "kedro.framework.session.store:BaseSessionStore"
KEDRO_DEFAULT_FOLDER = "sessions"
#: where our Kedro-facing classes may be imported from (the first is the documented path; the
#: last is the path documented before they moved into this package)
KEDRO_MODULES = ("session_core.kedro", "session_core.kedro.store", "session_core.stores.kedro")
#: our Kedro-facing class name -> the store it always writes to; ``None``: its ``store``
#: argument chooses (:class:`~session_core.kedro.store.KedroStore`)
NAMED_STORES: dict[str, str | None] = {
    "KedroStore": None,
    "KedroBaseSessionStore": "none",
    "KedroSQLiteStore": "sqlite",
    "KedroDuckDBStore": "duckdb",
    "KedroShelveStore": "shelve",
    "KedroJSONStore": "json",
    "KedroMemoryJSONStore": "memory",
    "KedroPostgresStore": "postgres",
}
#: what ``KedroStore`` writes to when its arguments name no ``store``: the embedded default
DEFAULT_STORE = "sqlite"
#: a settings module still running after this long has hung (it imports kedro: seconds at most)
SETTINGS_TIMEOUT_S = 120


@dataclass(frozen=True)
class KedroStoreSetting:
    """The store a Kedro project's settings name, as :func:`session_core.config.parse_store` takes it.

    Attributes:
        store: a short name (for our variants) or a ``package.module:Class`` path.
        args: the store's options, ``path`` included.
        setting: where it was read, for error messages.
    """

    store: str
    args: dict[str, Any]
    setting: str


class _Dynamic(Exception):
    """The settings are computed, so reading the text is not enough."""


def settings_file(project_path: Path, kedro_section: dict[str, Any]) -> Path | None:
    """The project's settings module, or ``None`` when ``[tool.kedro]`` names no package."""
    package = kedro_section.get("package_name")
    if not isinstance(package, str) or not package:
        return None
    source_dir = kedro_section.get("source_dir") or "src"
    return project_path / source_dir / package.replace(".", "/") / "settings.py"


def read_store_setting(project_path: Path, kedro_section: dict[str, Any]) -> KedroStoreSetting | None:
    """The store the project's Kedro settings select, or ``None`` when they select none.

    Raises:
        ConfigError: the settings module cannot be read or run, or its values have the wrong type.
    """
    file = settings_file(project_path, kedro_section)
    if file is None or not file.is_file():
        return None
    setting = f"{CLASS_SETTING} in {file}"
    try:
        found = _read_statically(file)
    except _Dynamic:
        found = _read_by_running(file, project_path / (kedro_section.get("source_dir") or "src"))
    class_path, args = found
    if class_path is None or class_path == KEDRO_DEFAULT:
        return None
    if not isinstance(args, dict):
        raise ConfigError(f"{ARGS_SETTING} in {file}", args, "expected a dict of store options")
    args = dict(args)
    args.setdefault("path", str(project_path / KEDRO_DEFAULT_FOLDER))
    module, _, name = class_path.partition(":")
    if module in KEDRO_MODULES and name in NAMED_STORES:
        store, options = choose_store(NAMED_STORES[name], args, f"{ARGS_SETTING} in {file}")
        return KedroStoreSetting(store, options, setting)
    return KedroStoreSetting(class_path, args, setting)


def choose_store(fixed: str | None, args: dict[str, Any], setting: str) -> tuple[str, dict[str, Any]]:
    """The store a Kedro-facing class writes to, and that store's options, from its arguments.

    Args:
        fixed: the store the class always uses (``KedroSQLiteStore``: ``"sqlite"``), or ``None``
            when its ``store`` argument chooses (``KedroStore``; default :data:`DEFAULT_STORE`).
        args: the class's arguments as Kedro passes them (``path`` included); ``strict`` and
            ``store`` belong to the class and are not passed on. A store named by URL carries
            its own location, so Kedro's ``path`` is not used then.
        setting: where the arguments were read, for errors.

    Raises:
        ConfigError: ``store`` given to a class that fixes its store, or not a string.
    """
    options = {key: value for key, value in args.items() if key not in ("strict", "store")}
    chosen = args.get("store")
    if fixed is not None and chosen is not None:
        raise ConfigError(
            setting, chosen,
            f"this class always writes to {fixed!r}; to choose the store, use "
            "session_core.kedro.KedroStore with {'store': ...}",
        )
    store = fixed or chosen or DEFAULT_STORE
    if not isinstance(store, str):
        raise ConfigError(setting, store, "`store` is a short name, a URL or a package.module:Class path")
    if "://" in store:
        options.pop("path", None)
    return store, options


def _read_statically(file: Path) -> tuple[str | None, Any]:
    """``(class path, args)`` from the module's text; raises :class:`_Dynamic` when computed."""
    try:
        tree = ast.parse(file.read_text("utf-8"), str(file))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        raise ConfigError(str(file), "(file)", f"the Kedro settings module cannot be read ({exc})") from exc
    imports: dict[str, str] = {}
    values: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.partition(".")[0]
                imports[bound] = alias.name if alias.asname else bound
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in (CLASS_SETTING, ARGS_SETTING):
                    values[target.id] = node.value
    nested = {
        target.id
        for node in ast.walk(tree)
        if node not in tree.body and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id in (CLASS_SETTING, ARGS_SETTING)
    }
    if nested:  # assigned under an `if` or similar: only running the module tells the value
        raise _Dynamic
    class_path = _class_path(values[CLASS_SETTING], imports) if CLASS_SETTING in values else None
    if ARGS_SETTING not in values:
        return class_path, {}
    try:
        return class_path, ast.literal_eval(values[ARGS_SETTING])
    except ValueError:
        raise _Dynamic from None


def _class_path(node: ast.expr, imports: dict[str, str]) -> str:
    """``module:Class`` for a name or attribute chain bound by the module's imports."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imports:
        raise _Dynamic
    dotted = ".".join([imports[node.id], *parts])
    module, _, name = dotted.rpartition(".")
    return f"{module}:{name}"


def _read_by_running(file: Path, source_dir: Path) -> tuple[str | None, Any]:
    """``(class path, args)`` from running the module in a child process, as Kedro would import
    it (see :mod:`session_core.kedro.run_settings`: nothing it prints or configures reaches us).

    Raises:
        ConfigError: the module failed, or named something that is not a class.
    """
    import json
    import subprocess

    try:
        done = subprocess.run(
            [sys.executable, "-m", "session_core.kedro.run_settings", str(file), str(source_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            timeout=SETTINGS_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            str(file), "(module)", f"the Kedro settings module still ran after {SETTINGS_TIMEOUT_S} s"
        ) from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ConfigError(
            str(file), "(module)", f"running the Kedro settings module failed (exit code {done.returncode})"
        ) from None
    if "error" in answer:
        raise ConfigError(answer["setting"], answer.get("value", "(module)"), answer["error"])
    return answer["class_path"], answer["args"]
