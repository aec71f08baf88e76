"""Everything session-core does for Kedro, in one package.

* :mod:`.settings` reads a project's ``SESSION_STORE_CLASS`` / ``SESSION_STORE_ARGS`` without
  importing kedro (so ``list`` finds the store ``kedro run`` writes to);
* :mod:`.record` turns Kedro's session data into the portable run record (no kedro import);
* :mod:`.store` holds :class:`KedroStore`, the class a project names in ``settings.py``, and
  its named subclasses (``KedroSQLiteStore``, ...);
* :mod:`.hooks` adds status and timings to the record of a ``kedro run``.

Only :mod:`.store` and :mod:`.hooks` import kedro, and nothing outside this package imports
them (``session_core.stores.kedro`` re-exports the store classes under their first documented
path). The names below are loaded on first use, so ``import session_core.kedro.settings`` costs
no kedro import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_STORE = "session_core.kedro.store"
_EXPORTS = {
    "KedroStore": _STORE,
    "KedroBaseSessionStore": _STORE,
    "KedroSQLiteStore": _STORE,
    "KedroDuckDBStore": _STORE,
    "KedroShelveStore": _STORE,
    "KedroJSONStore": _STORE,
    "KedroMemoryJSONStore": _STORE,
    "KedroPostgresStore": _STORE,
    "live_store": _STORE,
    "SessionCoreHooks": "session_core.kedro.hooks",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .hooks import SessionCoreHooks
    from .store import (
        KedroBaseSessionStore,
        KedroDuckDBStore,
        KedroJSONStore,
        KedroMemoryJSONStore,
        KedroPostgresStore,
        KedroShelveStore,
        KedroSQLiteStore,
        KedroStore,
        live_store,
    )


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'session_core.kedro' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
