"""The built-in store backends, one small module each, imported only when named.

``from session_core.stores import DuckDBStore`` imports duckdb then; ``import stores`` imports nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BaseSessionStore": "session_core.stores.base",
    "SQLiteStore": "session_core.stores.sqlite",
    "DuckDBStore": "session_core.stores.duckdb",
    "ShelveStore": "session_core.stores.shelve",
    "JSONStore": "session_core.stores.json",
    "MemoryJSONStore": "session_core.stores.json",
    "PostgresStore": "session_core.stores.postgres",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'session_core.stores' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)
