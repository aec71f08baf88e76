"""The Kedro-facing store: the class a Kedro project names in ``settings.py``.

One class wraps any store session-core can open::

    from session_core.kedro import KedroStore

    SESSION_STORE_CLASS = KedroStore
    SESSION_STORE_ARGS = {"store": "duckdb:///runs.duckdb"}   # any short name, URL or class path

and the named subclasses (``KedroSQLiteStore``, ``KedroDuckDBStore``, ...) each fix the store
(``SESSION_STORE_ARGS = {"path": ...}`` then gives its location, as Kedro's own stores take
it). Kedro accepts only subclasses of its ``BaseSessionStore``, so :class:`KedroStore` derives
from it; it *holds* one of our stores rather than being one, and forwards to it.

What it adds to the store it holds:

* At ``save()`` Kedro's data is normalised to the portable record
  (:func:`session_core.kedro.record.normalise`), and a short git sha without a branch is
  replaced by the full git info of the project (one ``git status`` call).
* A store that fails never fails ``kedro run`` or ``kedro ipython``: reads give an empty session
  (logged) and a record the store cannot take waits in the spool, by the one rule of
  :class:`session_core.persist.RecordWriter`; ``"strict": True`` raises instead. A bad setting
  (an unknown option) always raises: that is a mistake to fix, not an outage to ride out.
* Each instance with a session id is findable by :func:`live_store`, which is how the hooks
  (:mod:`session_core.kedro.hooks`) add status and timings to the record Kedro saves.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, ClassVar

from kedro.framework import project as kedro_project
from kedro.framework.session.store import BaseSessionStore

from ..config import parse_store
from ..errors import SessionCoreError, SessionNotFound
from ..gitinfo import collect_git
from ..ids import validate_session_id
from ..location import find_project_root, local_path
from ..persist import MISTAKES, RecordWriter
from ..record import utc_now
from ..registry import StoreSpec
from .record import normalise
from .settings import ARGS_SETTING, choose_store

logger = logging.getLogger(__name__)

_LIVE: weakref.WeakValueDictionary[str, KedroStore] = weakref.WeakValueDictionary()


class KedroStore(BaseSessionStore):
    """Kedro's session store, kept in any session-core store.

    Args:
        path: the store's location (Kedro passes ``<project>/sessions`` when the settings name
            none); not used when ``store`` is a URL, which carries its own.
        session_id: Kedro's session id.
        store: which store to write to (short name, URL or ``package.module:Class``); default
            SQLite. Named subclasses fix it and refuse this argument.
        strict: raise store failures instead of spooling the record (default ``False``).
        **options: the wrapped store's options.

    Raises:
        ConfigError: a bad setting, such as an option the wrapped store does not take (always).
        InvalidSessionId: ``session_id`` is not a safe id (always).
        StoreError: only with ``strict=True``.
    """

    #: the store this class always writes to; ``None``: the ``store`` argument chooses
    STORE: ClassVar[str | None] = None

    def __init__(
        self,
        path: Any = None,
        session_id: str | None = None,
        *,
        store: str | None = None,
        strict: bool = False,
        **options: Any,
    ) -> None:
        self.spec = _spec_of(type(self), path, {**options, "store": store})
        self._writer = RecordWriter(self.spec, strict=bool(strict))
        self._git_completed = False
        if session_id is not None:
            validate_session_id(session_id)
        super().__init__(path, session_id)  # Kedro's: fills the mapping from read()
        if session_id is not None:
            _LIVE[session_id] = self

    @property
    def session_id(self) -> str | None:
        """The Kedro session this store holds."""
        return self._session_id

    @property
    def strict(self) -> bool:
        return self._writer.strict

    def read(self) -> dict[str, Any]:
        """The persisted data; empty (and logged) when the store cannot be read, unless strict."""
        if self._session_id is None:
            return {}
        store = self._writer.open()
        if store is None:
            return {}
        try:
            return store.load(self._session_id)
        except SessionNotFound:
            return {}
        except MISTAKES:
            raise
        except SessionCoreError as exc:
            if self.strict:
                raise
            logger.error("Kedro session %s: reading the session store failed: %s", self._session_id, exc)
            return {}

    def save(self) -> None:
        """Normalise Kedro's data and save it; on a store failure spool it (unless strict).

        A session that never started a run and holds no exception has no run to record (a
        ``kedro ipython`` session explored and closed without ``session.run()``): nothing is
        saved then.

        Raises:
            SessionError: the store was built without a session id.
            StoreError: only with ``strict=True``.
        """
        if self._session_id is None:
            from ..errors import SessionError

            raise SessionError(f"{type(self).__name__} was built without a session_id; nothing to save")
        if "status" not in self.data and not self.data.get("exception"):
            logger.debug("Kedro session %s closed without a run: nothing to record", self._session_id)
            return
        self._complete_git()
        record = normalise(self.data, getattr(kedro_project, "PACKAGE_NAME", None))
        record["session_id"] = self._session_id
        self._writer.save(record)

    def beat(self) -> None:
        """Refresh ``heartbeat_at`` in the stored record, never the spool (the hooks' heartbeat
        thread calls this; a failure raises, and that thread logs it)."""
        self.data["heartbeat_at"] = utc_now()
        record = normalise(self.data, getattr(kedro_project, "PACKAGE_NAME", None))
        record["session_id"] = self._session_id
        self._writer.refresh(record)

    def close(self) -> None:
        """Release the wrapped store (Kedro never calls this; the store closes when collected)."""
        self._writer.close()

    def _complete_git(self) -> None:
        """Replace Kedro's git info (short sha, no branch) with ours, once per session."""
        git = self.data.get("git")
        project_path = self.data.get("project_path")
        if self._git_completed or project_path is None or (isinstance(git, dict) and "branch" in git):
            return
        self._git_completed = True
        self.data["git"] = collect_git(project_path)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec!r} session_id={self._session_id!r}>"


def _spec_of(cls: type[KedroStore], path: Any, args: dict[str, Any]) -> StoreSpec:
    """The store a Kedro-facing class writes to, resolved as ``list`` resolves the settings.

    Relative locations are taken from the project folder: the nearest one with a
    ``pyproject.toml`` above Kedro's ``path`` (``<project>/sessions``), else above the current
    folder. A new local store folder is created ignored by git when the store first opens
    (Kedro's default ``<project>/sessions`` is not in Kedro's ``.gitignore``).
    """
    if args.get("store") is None:
        args.pop("store")
    if path is not None:
        args["path"] = path
    setting = f"{ARGS_SETTING} of {cls.__name__}"
    store, options = choose_store(cls.STORE, args, setting)
    local = local_path(path)
    root = find_project_root(local.parent if local is not None else None)
    return parse_store(store, options, root, setting)


def live_store(session_id: str) -> KedroStore | None:
    """The Kedro-facing store instance of a running Kedro session in this process, if any."""
    return _LIVE.get(session_id)


class KedroSQLiteStore(KedroStore):
    """Kedro's session store in SQLite (:class:`session_core.stores.sqlite.SQLiteStore`)."""

    STORE = "sqlite"


class KedroDuckDBStore(KedroStore):
    """Kedro's session store in DuckDB (:class:`session_core.stores.duckdb.DuckDBStore`)."""

    STORE = "duckdb"


class KedroShelveStore(KedroStore):
    """Kedro's session store in shelve folders (:class:`session_core.stores.shelve.ShelveStore`)."""

    STORE = "shelve"


class KedroJSONStore(KedroStore):
    """Kedro's session store as JSON documents on a local folder or any fsspec URL
    (:class:`session_core.stores.json.JSONStore`)."""

    STORE = "json"


class KedroMemoryJSONStore(KedroStore):
    """Kedro's session store in fsspec's ``memory://`` (this process only)."""

    STORE = "memory"


class KedroPostgresStore(KedroStore):
    """Kedro's session store in a PostgreSQL table shared by the team
    (:class:`session_core.stores.postgres.PostgresStore`; ``path`` is a ``postgresql://`` URL)."""

    STORE = "postgres"


class KedroBaseSessionStore(KedroStore):
    """A Kedro session store that persists nothing (:class:`session_core.stores.base.BaseSessionStore`)."""

    STORE = "none"
