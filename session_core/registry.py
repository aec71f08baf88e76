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
from .location import Location, UrlForm, redact, require_existing, suggest

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

#: URL scheme -> short name, for file-backed stores: ``scheme:///relative`` (in the project
#: folder) and ``scheme:////absolute`` (:attr:`~session_core.location.UrlForm.PATH`).
PATH_SCHEMES = {"sqlite": "sqlite", "duckdb": "duckdb", "shelve": "shelve", "json": "json"}
#: URL scheme -> short name, for fsspec URLs: the whole URL (its query aside) is the store's
#: path (:attr:`~session_core.location.UrlForm.FSSPEC`).
URL_SCHEMES = {
    "memory": "memory",
    "s3": "json",
    "s3a": "json",
    "gs": "json",
    "gcs": "json",
    "az": "json",
    "abfs": "json",
}
#: URL scheme -> short name, for backends that read their own URL, query included
#: (``postgresql://``; :attr:`~session_core.location.UrlForm.OPAQUE`). Entry-point schemes are
#: read this way too.
OPAQUE_SCHEMES: dict[str, str] = {"none": "none", "postgresql": "postgres", "postgres": "postgres"}
#: RFC 8089 ``file:///absolute/folder``: a JSON store in a local folder.
FILE_SCHEME = "file"
FILE_STORE = "json"
#: A plain path names a store by its file suffix (a folder needs a URL saying which store).
PATH_SUFFIXES = {".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".duckdb": "duckdb"}


def scheme_store(scheme: str) -> tuple[str, UrlForm] | None:
    """``(short name, how its URL is read)`` for a URL scheme, or ``None`` when unknown."""
    if scheme == FILE_SCHEME:
        return FILE_STORE, UrlForm.FILE
    for table, form in ((PATH_SCHEMES, UrlForm.PATH), (URL_SCHEMES, UrlForm.FSSPEC), (OPAQUE_SCHEMES, UrlForm.OPAQUE)):
        if scheme in table:
            return table[scheme], form
    if scheme in entry_point_stores():
        return scheme, UrlForm.OPAQUE
    return None


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
    conformance suite reopens stores and how ``migrate`` names its two ends. ``origin`` is how
    the location was read from its setting (for error messages; not part of equality).
    """

    class_path: str
    path: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    extra: str | None = None
    origin: Location | None = field(default=None, compare=False)

    def store_class(self) -> type[SessionStore]:
        return load_class(self.class_path, self.extra)

    def __repr__(self) -> str:
        """Credentials never reach a log line or a test report through a spec's repr."""
        from .redact import redact_mapping

        path = redact(self.path) if isinstance(self.path, str) else self.path
        return f"StoreSpec({self.class_path!r}, path={path!r}, options={redact_mapping(self.options)!r})"

    def open(self, session_id: str | None = None, *, create: bool = True) -> SessionStore:
        """Instantiate the store.

        Args:
            create: ``False`` for read-only callers (``list``, ``show``, a migration's source,
                and every later reader): a local store that does not exist yet is refused
                instead of created, and nothing is written at its location.

        Raises:
            ConfigError: the class cannot be loaded, or does not take these options.
            StoreNotFound: ``create=False`` and nothing is stored at the location.
            StoreError: the backend could not open the store.
        """
        cls = self.store_class()
        if not create:
            cls.check_options(self.options)  # a wrong option is reported before a missing store
            require_existing(cls, self.path, self.origin)
        return cls(self.path, session_id, create=create, **self.options)


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
    """Resolve a short name to ``(class path, extra, canonical name)``.

    Raises:
        ConfigError: an unknown name, with the closest known one suggested.
    """
    key = ALIASES.get(name.lower(), name.lower())
    if key in BUILTIN_STORES:
        class_path, extra = BUILTIN_STORES[key]
        return class_path, extra, key
    third_party = entry_point_stores()
    if name in third_party:
        return third_party[name], None, name
    known = sorted({*BUILTIN_STORES, *ALIASES, *third_party})
    close = suggest(name, known)
    hint = f"did you mean {close!r}? " if close else ""
    raise ConfigError(setting, name, f"unknown store name {name!r}; {hint}known: {', '.join(known)}")


def known_schemes() -> list[str]:
    return sorted({*PATH_SCHEMES, *URL_SCHEMES, *OPAQUE_SCHEMES, FILE_SCHEME, *entry_point_stores()})
