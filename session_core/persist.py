"""One rule for saving a run's record: into its store, else into the spool, unless strict.

A run never dies because its store failed (BRIEF, "Contracts"). :class:`Session` and the
Kedro-facing store (:mod:`session_core.kedro.store`) both save through a :class:`RecordWriter`,
so the rule lives here only:

* the store is opened on first use (and again at the next save while it stays unavailable);
* a record the store took clears any older copy of it from the spool;
* an outage (a :class:`~session_core.errors.StoreError` and the like) is logged and the record
  goes to the spool (:mod:`session_core.spool`), or is raised with ``strict=True``;
* a mistake is always raised, strict or not: a value outside the portable model
  (:class:`~session_core.errors.InvalidValue`), a bad setting
  (:class:`~session_core.errors.ConfigError`), an unsafe id. Spooling those would only defer
  the same error to ``flush``. A record over its store's size limit
  (:class:`~session_core.errors.RecordTooLarge`) is no mistake of the record's: it is kept in
  the spool like an outage, so closing a session never fails because of what it holds;
* the record is redacted once more as a whole (:func:`session_core.redact.redact_mapping`)
  before it goes anywhere, whichever way its values came in.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from . import spool
from .errors import ConfigError, InvalidSessionId, InvalidValue, RecordTooLarge, SessionCoreError
from .redact import redact_mapping
from .registry import StoreSpec, class_path_of
from .store import SessionStore

logger = logging.getLogger(__name__)

#: errors that are the caller's to fix, never an outage to ride out
MISTAKES = (InvalidValue, ConfigError, InvalidSessionId)


class RecordWriter:
    """Saves one session's records into a store, falling back to the spool.

    Args:
        store: an open store (the caller keeps it: :meth:`close` leaves it open) or a
            :class:`StoreSpec` (opened here on first use, closed by :meth:`close`).
        strict: raise store failures instead of spooling.
        spool_dir: the spool folder; default :func:`session_core.spool.spool_dir`.
    """

    def __init__(self, store: SessionStore | StoreSpec, *, strict: bool = False, spool_dir: Path | None = None) -> None:
        self._source = store
        self._store: SessionStore | None = store if isinstance(store, SessionStore) else None
        self.strict = strict
        self.spool_dir = spool.spool_dir(spool_dir)

    @property
    def target(self) -> dict[str, Any]:
        """How a spool entry names this store (class path and path, no options)."""
        if isinstance(self._source, StoreSpec):
            return spool.target_of(self._source.class_path, self._source.path)
        return spool.target_of(class_path_of(type(self._source)), self._source.path)

    def open(self) -> SessionStore | None:
        """The store, opened once; ``None`` (logged) while it cannot be opened.

        Raises:
            ConfigError: the store's options are wrong (always).
            StoreError: the store cannot be opened and ``strict`` is set.
        """
        if self._store is None:
            assert isinstance(self._source, StoreSpec)
            try:
                self._store = self._source.open()
            except MISTAKES:
                raise
            except SessionCoreError as exc:
                if self.strict:
                    raise
                logger.error("session store %r cannot be opened: %s", self._source, exc)
                return None
        return self._store

    def save(self, record: dict[str, Any]) -> bool:
        """Save ``record`` under its ``session_id``; ``True`` when the store took it.

        A store that failed leaves the record in the spool (``False``), unless ``strict``.

        Raises:
            InvalidValue: a value is outside the portable model (nothing written anywhere); a
                record over the store's size limit is spooled instead, unless ``strict``.
            ConfigError, InvalidSessionId: always.
            StoreError: only with ``strict=True``.
        """
        session_id = record["session_id"]
        record = redact_mapping(record)
        try:
            store = self._open_or_raise()
            store.write(session_id, record)
        except RecordTooLarge as exc:
            if self.strict:
                raise
            spool.keep(self.spool_dir, self.target, record, exc)
            return False
        except MISTAKES:
            raise
        except SessionCoreError as exc:
            if self.strict:
                raise
            spool.keep(self.spool_dir, self.target, record, exc)
            return False
        spool.discard(self.spool_dir, session_id)
        return True

    def refresh(self, record: dict[str, Any]) -> None:
        """Write ``record`` into the store only, never the spool (a heartbeat: the next one or
        the final save brings the store up to date).

        Raises:
            SessionCoreError: the store failed (the heartbeat thread logs it).
        """
        self._open_or_raise().write(record["session_id"], record)

    def _open_or_raise(self) -> SessionStore:
        if self._store is None:
            assert isinstance(self._source, StoreSpec)
            self._store = self._source.open()
        return self._store

    def close(self) -> None:
        """Close the store if this writer opened it; a failure to close is only logged."""
        if self._store is None or self._store is self._source:
            return
        try:
            self._store.close()
        except SessionCoreError as exc:  # its text is redacted; a chained cause may not be
            logger.warning("closing store %s failed: %s", self._store.location, exc)
        self._store = None
