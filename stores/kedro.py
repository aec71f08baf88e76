"""The Kedro-facing store classes under the path documented before they moved.

Settings written as ``from session_core.stores.kedro import KedroSQLiteStore`` keep working; the
classes live in :mod:`session_core.kedro.store` (see docs/architecture.md) and new settings
import them from :mod:`session_core.kedro`. This module needs kedro.
"""

from session_core.kedro.store import (
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

__all__ = [
    "KedroBaseSessionStore",
    "KedroDuckDBStore",
    "KedroJSONStore",
    "KedroMemoryJSONStore",
    "KedroPostgresStore",
    "KedroSQLiteStore",
    "KedroShelveStore",
    "KedroStore",
    "live_store",
]
