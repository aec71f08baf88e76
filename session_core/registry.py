"""Which class a store name means: built-in short names, URL schemes, entry points, class paths.

Built-in backends are a table from short name to a lazy import string (as in fsspec's
``registry.py``), so nothing is imported until a store is actually opened, and a missing optional
dependency becomes an install hint. Third parties register through the entry-point group
``session_core.stores``: the entry point's name is both the short name and the URL scheme, its
value the class (``"redis_store:RedisStore"``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    from .store import SessionStore

ENTRY_POINT_GROUP = "session_core.stores"

#: short name -> (class path, extra that installs its dependencies)
BUILTIN_STORES: dict[str, tuple[str, str | None]] = {
    "none": ("session_core.stores.base:BaseSessionStore", None),
    "sqlite": ("session_core.stores.sqlite:SQLiteStore", None),
    "duckdb": ("session_core.stores.duckdb:DuckDBStore", "duckdb"),
    "shelve": ("session_core.stores.shelve:ShelveStore", "shelve"),
    "json": ("session_core.stores.json:JSONStore", "fsspec"),
    "memory": ("session_core.stores.json:MemoryJSONStore", "fsspec"),
    "postgres": ("session_core.stores.postgres:PostgresStore", "postgres"),
}
ALIASES = {"noop": "none", "base": "none", "postgresql": "postgres"}

#: URL scheme -> short name. For these schemes the URL's path is the store's path
#: (``sqlite:///runs.db`` is ``runs.db`` in the project, ``sqlite:////tmp/r.db`` is absolute).
PATH_SCHEMES = {"sqlite": "sqlite", "duckdb": "duckdb", "shelve": "shelve"}
#: URL scheme -> short name. For these the whole URL is the store's path (fsspec URLs).
URL_SCHEMES = {
    "file": "json",
    "memory": "memory",
    "s3": "json",
    "s3a": "json",
    "gs": "json",
    "gcs": "json",
    "az": "json",
    "abfs": "json",
    "none": "none",
    "postgresql": "postgres",
    "postgres": "postgres",
}

#: Where a short name with no path keeps its data, relative to the project folder.
DEFAULT_PATHS = {
    "sqlite": ".session_core/sessions.db",
    "duckdb": ".session_core/sessions.duckdb",
    "shelve": ".session_core/shelve",
    "json": ".session_core/json",
}


@dataclass(frozen=True)
class StoreSpec:
    """A picklable recipe for a store: class path, path and options.

    ``open()`` builds a fresh instance, in this process or another one, which is how the
    conformance suite reopens stores and how ``migrate`` names its two ends.
    """

    class_path: str
    path: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    extra: str | None = None

    def store_class(self) -> type[SessionStore]:
        return load_class(self.class_path, self.extra)

    def __repr__(self) -> str:
        """Credentials never reach a log line or a test report through a spec's repr."""
        from .redact import redact_mapping, redact_url

        path = redact_url(self.path) if isinstance(self.path, str) else self.path
        return f"StoreSpec({self.class_path!r}, path={path!r}, options={redact_mapping(self.options)!r})"

    def open(self, session_id: str | None = None) -> SessionStore:
        """Instantiate the store (a ConfigError names options the class does not take)."""
        return self.store_class()(self.path, session_id, **self.options)


def class_path_of(cls: type) -> str:
    """The ``package.module:Class`` path that :func:`load_class` turns back into ``cls``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def load_class(class_path: str, extra: str | None = None) -> type[SessionStore]:
    """Import ``package.module:Class`` and check that it is a store class."""
    from .store import SessionStore

    module_name, _, attr = class_path.partition(":")
    if not module_name or not attr:
        raise ConfigError("store", class_path, "a class path is written package.module:Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f"; install it with: pip install 'session-core[{extra}]'" if extra else ""
        if module_name.partition(".")[0] in ("stores", "conformance"):
            hint = f"; since 0.2 the built-in modules live in session_core: write session_core.{class_path}"
        raise ConfigError("store", class_path, f"cannot import {module_name} ({exc}){hint}") from exc
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, SessionStore)):
        raise ConfigError(
            "store", class_path, f"{attr} in {module_name} is not a session_core.store.SessionStore subclass"
        )
    return cls


@lru_cache(maxsize=1)
def entry_point_stores() -> dict[str, str]:
    """Third-party stores: entry-point name -> class path (read once, only when needed)."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def lookup_name(name: str, setting: str) -> tuple[str, str | None, str]:
    """Resolve a short name to ``(class path, extra, canonical name)``."""
    key = ALIASES.get(name.lower(), name.lower())
    if key in BUILTIN_STORES:
        class_path, extra = BUILTIN_STORES[key]
        return class_path, extra, key
    third_party = entry_point_stores()
    if name in third_party:
        return third_party[name], None, name
    known = sorted({*BUILTIN_STORES, *ALIASES, *third_party})
    raise ConfigError(setting, name, f"unknown store name {name!r} (known: {', '.join(known)})")


def known_schemes() -> list[str]:
    return sorted({*PATH_SCHEMES, *URL_SCHEMES, *entry_point_stores()})
