"""The built-in store backends, one small module each, imported only when named.

``from stores import DuckDBStore`` imports duckdb then; ``import stores`` imports nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BaseSessionStore": "stores.base",
    "SQLiteStore": "stores.sqlite",
    "DuckDBStore": "stores.duckdb",
    "ShelveStore": "stores.shelve",
    "JSONStore": "stores.json",
    "MemoryJSONStore": "stores.json",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'stores' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)
