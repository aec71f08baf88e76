"""One small module per backend: where its store lives and what its raw library does.

Each module exposes a :class:`Backend`: the toolkit's store for a location, and the bare
library doing the same work at another location (same table layout or file layout, same
durability settings), which is the raw limit every figure is compared with.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from session_core.registry import StoreSpec

logger = logging.getLogger(__name__)

#: backend name -> module of this package; the order is the order of the report
MODULES = {
    "sqlite": "bench.backends.sqlite",
    "duckdb": "bench.backends.duckdb",
    "json": "bench.backends.files",
    "shelve": "bench.backends.shelve",
    "postgres": "bench.backends.postgres",
}

Records = list[tuple[str, dict[str, Any]]]


class Backend(Protocol):
    """What the suites need from a backend."""

    #: short name, as in ``--store NAME``
    name: str
    #: largest bulk size measured by a default run (the whole run must stay under 10 minutes)
    default_max_sessions: int
    #: sessions each of the four concurrent writers saves
    concurrent_saves: int

    def store_spec(self, root: Path) -> StoreSpec:
        """The toolkit's store at ``root`` (a folder the suite made for it)."""

    def raw_create(self, root: Path) -> None:
        """Create an empty raw store at ``root`` (schema, folders), untimed."""

    def raw_write_many(self, root: Path, records: Records) -> None:
        """Open, write every record in one batch (JSON-encoding each), close."""

    def raw_ids(self, root: Path) -> list[str]:
        """Open, read every id in ascending order, close."""

    def raw_load_all(self, root: Path) -> int:
        """Open, fetch and JSON-decode every record (streaming), close; return the count."""

    def raw_save_one(self, root: Path, session_id: str, record: dict[str, Any]) -> None:
        """Open, save one record durably, close: the raw single save."""

    def raw_save_each(self, root: Path, records: Records) -> None:
        """Save records one at a time (one transaction or file each) on one open handle."""


def load(names: Iterable[str] | None = None) -> list[Backend]:
    """The backends whose store module and library are installed (others are logged, skipped)."""
    found: list[Backend] = []
    for name, module_name in MODULES.items():
        if names is not None and name not in names:
            continue
        try:
            module = importlib.import_module(module_name)
            module.BACKEND.store_spec(Path(".")).store_class()
        except Exception as exc:  # a backend still missing or its extra not installed
            logger.warning("backend %s skipped: %s", name, exc)
            continue
        found.append(module.BACKEND)
    return found


def builtin_spec(name: str, path: Any) -> StoreSpec:
    """The spec of the built-in store ``name`` at ``path``."""
    from session_core.registry import BUILTIN_STORES

    class_path, extra = BUILTIN_STORES[name]
    return StoreSpec(class_path, path, extra=extra)
