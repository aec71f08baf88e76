"""A Kedro project's ``SESSION_STORE_CLASS`` / ``SESSION_STORE_ARGS``, read without kedro.

``python -m session_core list`` in a Kedro project must find the store that ``kedro run`` writes
to. The settings module is ``<source_dir>/<package_name>/settings.py``, named by ``[tool.kedro]``
in ``pyproject.toml`` (``source_dir`` defaults to ``src``, as in Kedro).

The module is first read as text with :mod:`ast`, which runs nothing and imports nothing (not
kedro, not the project): ``SESSION_STORE_CLASS`` must then be a name bound by a top-level import
(``from session_core.stores.kedro import KedroSQLiteStore``, ``import session_core.stores.kedro`` +
``session_core.stores.kedro.KedroSQLiteStore``) and ``SESSION_STORE_ARGS`` a literal dict. When either is
computed (``{"path": str(Path(__file__).parent / "x")}``, as Kedro's docs write it), the module
is run with :func:`runpy.run_path` instead, with the source folder on ``sys.path`` as Kedro puts
it; that imports whatever the module imports.

A Kedro-facing variant (``session_core.stores.kedro:KedroSQLiteStore``) resolves to the store it wraps
(``sqlite``), so reading needs no kedro; Kedro's own no-op default resolves to nothing (the
next source of the configuration order applies). Like Kedro, a store with no ``path`` gets
``<project>/sessions``.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .registry import KEDRO_MODULE, kedro_variants

CLASS_SETTING = "SESSION_STORE_CLASS"
ARGS_SETTING = "SESSION_STORE_ARGS"
#: Kedro's default store, which persists nothing: not a choice of store for our purposes
KEDRO_DEFAULT = "kedro.framework.session.store:BaseSessionStore"
KEDRO_DEFAULT_FOLDER = "sessions"


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
    short = kedro_variants().get(name) if module == KEDRO_MODULE else None
    if short is not None:
        args.pop("strict", None)  # an option of the Kedro-facing variant, not of the store
        return KedroStoreSetting(short, args, setting)
    return KedroStoreSetting(class_path, args, setting)


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
    """``(class path, args)`` from running the module, as Kedro would import it."""
    import runpy

    added = str(source_dir) not in sys.path
    if added:
        sys.path.insert(0, str(source_dir))
    try:
        namespace = runpy.run_path(str(file))
    except Exception as exc:
        raise ConfigError(str(file), "(module)", f"running the Kedro settings module failed ({exc!r})") from exc
    finally:
        if added:
            sys.path.remove(str(source_dir))
    cls = namespace.get(CLASS_SETTING)
    if cls is None:
        return None, namespace.get(ARGS_SETTING) or {}
    if not isinstance(cls, type):
        raise ConfigError(f"{CLASS_SETTING} in {file}", cls, "expected a class")
    return f"{cls.__module__}:{cls.__qualname__}", namespace.get(ARGS_SETTING) or {}
