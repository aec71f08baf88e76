"""The import rules of docs/architecture.md, checked on the source of every module we ship.

Each module's imports are read with :mod:`ast` (statements inside functions included: a lazy
import is still a dependency), relative imports resolved to absolute names, and each rule is a
test named for it. A failure lists every offending ``module -> import``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: repository folder -> the package it installs as (pyproject.toml's package-dir)
PACKAGE_DIRS = {"session_core": "session_core", "stores": "session_core.stores", "conformance": "session_core.conformance"}
#: third-party packages that cost noticeable start-up time or are optional (extras)
HEAVY = ("duckdb", "fsspec", "s3fs", "git", "moto", "psycopg", "kedro", "pytest", "hypothesis", "tqdm", "filelock", "orjson")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    name: str  # the imported module (absolute)
    top_level: bool  # at module level, so paid by every importer


def module_name(file: Path) -> str:
    folder, *rest = file.relative_to(REPO).with_suffix("").parts
    parts = [PACKAGE_DIRS[folder], *rest]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(file: Path) -> Iterator[Import]:
    module = module_name(file)
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(file.read_text("utf-8"), str(file))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, id(node) in top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == "__future__":
                continue
            yield Import(module, target, id(node) in top)
            for alias in node.names:  # `from . import spool` imports a module
                yield Import(module, f"{target}.{alias.name}", id(node) in top)


ALL_IMPORTS = [imp for folder in PACKAGE_DIRS for file in sorted((REPO / folder).rglob("*.py")) for imp in imports_of(file)]


def within(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


CORE_EXCLUDES = ("session_core.stores", "session_core.conformance", "session_core.kedro")


def is_core(module: str) -> bool:
    """The core: every module of session_core that is not a backend, the suite or the Kedro slice."""
    return within(module, "session_core") and not within(module, *CORE_EXCLUDES)


def offenders(rule: object) -> list[str]:
    return sorted({f"{imp.module} -> {imp.name}" for imp in ALL_IMPORTS if rule(imp)})


def test_the_rules_see_every_layer() -> None:
    modules = {imp.module for imp in ALL_IMPORTS}
    assert {"session_core.session", "session_core.stores.sqlite", "session_core.conformance.suite",
            "session_core.kedro.store", "session_core.commands.list", "session_core.migrate.engine"} <= modules


def test_the_core_imports_no_backend_no_suite_and_no_kedro() -> None:
    """Backends are found through the registry's import strings; only the kedro-free settings
    reader of the Kedro slice is consulted by the configuration (resolution order, step 4)."""
    assert offenders(
        lambda imp: is_core(imp.module)
        and (within(imp.name, "session_core.stores", "session_core.conformance", "kedro")
             or (within(imp.name, "session_core.kedro") and not within(imp.name, "session_core.kedro.settings")))
    ) == []


def test_the_core_imports_heavy_packages_only_inside_the_function_that_needs_them() -> None:
    assert offenders(lambda imp: is_core(imp.module) and imp.top_level and within(imp.name, *HEAVY)) == []


def test_backends_import_only_the_core_and_each_other() -> None:
    assert offenders(
        lambda imp: within(imp.module, "session_core.stores")
        and imp.module != "session_core.stores.kedro"  # the documented path of the Kedro classes
        and within(imp.name, "session_core")
        and not (is_core(imp.name) or within(imp.name, "session_core.stores"))
    ) == []


def private_owner(name: str) -> str | None:
    """The package that owns a private name (``session_core.stores`` for ``...stores._atomic``)."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def test_private_modules_and_names_are_imported_only_inside_their_package() -> None:
    """No layer reaches into another's private helpers (``session_core.stores._paths``)."""
    assert offenders(
        lambda imp: within(imp.name, "session_core")
        and (owner := private_owner(imp.name)) is not None
        and not within(imp.module, owner)
    ) == []


def test_the_conformance_suite_knows_no_backend_and_no_kedro() -> None:
    """It tests any store through its spec; built-in ones are named by the registry."""
    assert offenders(
        lambda imp: within(imp.module, "session_core.conformance")
        and within(imp.name, "session_core.stores", "session_core.kedro", "kedro", "session_core.commands")
    ) == []


def test_only_the_kedro_store_and_hooks_import_kedro() -> None:
    assert offenders(
        lambda imp: within(imp.name, "kedro")
        and imp.module not in ("session_core.kedro.store", "session_core.kedro.hooks")
    ) == []


def test_the_kedro_slice_is_imported_only_by_itself_the_old_path_and_the_settings_lookup() -> None:
    allowed = {"session_core.stores.kedro", "session_core.config"}
    assert offenders(
        lambda imp: within(imp.name, "session_core.kedro")
        and not within(imp.module, "session_core.kedro")
        and imp.module not in allowed
    ) == []


@pytest.mark.parametrize("layer", ["session_core.commands", "session_core.migrate"])
def test_commands_and_migrate_open_stores_only_through_the_registry(layer: str) -> None:
    assert offenders(lambda imp: within(imp.module, layer) and within(imp.name, "session_core.stores")) == []


def foreign_private_attributes(file: Path) -> Iterator[str]:
    """``obj._name`` in ``file`` where ``obj`` is not ``self``/``cls``/``super()`` and ``_name``
    is not defined in the same module: reading another layer's private state."""
    tree = ast.parse(file.read_text("utf-8"), str(file))
    own = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    own |= {
        target.attr
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
            continue
        if node.attr not in own:
            yield f"{module_name(file)}:{node.lineno} {ast.unparse(node)}"


def test_no_layer_reads_another_layers_private_attributes() -> None:
    """A store's location is its public ``path``/``location``, not ``store._path``."""
    found = [hit for folder in PACKAGE_DIRS for file in sorted((REPO / folder).rglob("*.py"))
             for hit in foreign_private_attributes(file)]
    assert found == []
