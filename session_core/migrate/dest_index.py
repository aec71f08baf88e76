"""What the destination already holds, read once as a stream of (id, content hash).

Both ends list in ascending id order, so "is this id there, and with which content?" is a merge
of two sorted streams. At the start the destination's records are streamed once
(:func:`~.reading.hashed_ids`: one query in the database stores, concurrent GETs in object
storage) and their ids and content hashes spooled to a temporary file. So:

* memory stays flat whatever the number of sessions;
* no record is loaded one by one (a per-id read costs a connection in DuckDB, a request in S3:
  10,000 of them turned a 3-second re-run into minutes);
* no listing cursor of the destination stays open while the migration writes into it.

If the destination cannot list (its capabilities say so) or lists out of order, or the source
turns out not to be ascending, each id is looked up with :meth:`SessionStore.load` instead.
"""

from __future__ import annotations

import logging
import tempfile
from typing import IO

from session_core.errors import CorruptRecord, NotSupported, SessionNotFound
from session_core.store import SessionStore
from session_core.values import content_hash

from .reading import hashed_ids

logger = logging.getLogger(__name__)

#: The hash reported for a record the destination holds but cannot read back.
UNREADABLE = "unreadable"


class DestinationIndex:
    """A merge cursor over a snapshot of the destination (use as a context manager).

    Args:
        store: the destination, or ``None`` for one that does not exist yet (a dry run
            into a new location): then every id is absent.
    """

    def __init__(self, store: SessionStore | None) -> None:
        self._store = store
        self._spool: IO[str] | None = None
        self._current: tuple[str, str] | None = None
        self._last_asked: str | None = None
        self._merge = store is not None and store.capabilities.listing
        if self._merge:
            self._snapshot()

    def _snapshot(self) -> None:
        assert self._store is not None
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        previous = None
        try:
            for session_id, digest in hashed_ids(self._store):
                if previous is not None and session_id <= previous:
                    logger.warning("%s lists ids out of order (%r after %r): looking ids up one by one",
                                   self._store.location, session_id, previous)
                    self._merge = False
                    return
                self._spool.write(f"{session_id}\t{digest or UNREADABLE}\n")
                previous = session_id
        except NotSupported:
            self._merge = False
            return
        self._spool.seek(0)
        self._advance()

    def _advance(self) -> None:
        assert self._spool is not None
        line = self._spool.readline()
        if line:
            session_id, _, digest = line[:-1].partition("\t")
            self._current = (session_id, digest)
        else:
            self._current = None

    def existing_hash(self, session_id: str) -> str | None:
        """The content hash the destination held for ``session_id`` at the start (``UNREADABLE``
        for a record it cannot read back), or ``None`` when it held none."""
        if self._store is None:
            return None
        in_order = self._last_asked is None or session_id > self._last_asked
        if not (self._merge and in_order):
            return self._lookup(session_id)
        self._last_asked = session_id
        while self._current is not None and self._current[0] < session_id:
            self._advance()
        if self._current is not None and self._current[0] == session_id:
            return self._current[1]
        return None

    def _lookup(self, session_id: str) -> str | None:
        assert self._store is not None
        try:
            return content_hash(self._store.load(session_id))
        except SessionNotFound:
            return None
        except CorruptRecord:
            return UNREADABLE

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def __enter__(self) -> DestinationIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
