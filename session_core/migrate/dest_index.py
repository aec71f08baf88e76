"""Which ids the destination already holds, answered without one read per source record.

Both ends list their ids in ascending order, so "is this id already there?" is a merge of two
sorted streams. The destination's ids are first spooled to a temporary file (one id per line):
memory stays flat whatever the number of sessions, and no listing cursor of the destination is
left open while the migration writes into it (an open SQLite cursor would block the writer's
transaction; other backends make no promise about listings that overlap writes).

If the destination cannot list (its capabilities say so), or lists out of order, or the source
turns out not to be ascending, each id is asked with :meth:`SessionStore.has_session` instead.
"""

from __future__ import annotations

import logging
import tempfile
from typing import IO

from session_core.errors import NotSupported
from session_core.store import SessionStore

logger = logging.getLogger(__name__)


class DestinationIndex:
    """A merge cursor over a snapshot of the destination's ids (use as a context manager).

    Args:
        store: the destination, or ``None`` for one that does not exist yet (a dry run
            into a new location): then every id is absent.
    """

    def __init__(self, store: SessionStore | None) -> None:
        self._store = store
        self._spool: IO[str] | None = None
        self._current: str | None = None
        self._last_asked: str | None = None
        self._merge = store is not None and store.capabilities.listing
        self.size = 0
        if self._merge:
            self._snapshot()

    def _snapshot(self) -> None:
        assert self._store is not None
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        previous = None
        try:
            for session_id in self._store.session_ids():
                if previous is not None and session_id <= previous:
                    logger.warning(
                        "%s lists ids out of order (%r after %r): checking ids one by one",
                        self._store.location, session_id, previous,
                    )
                    self._merge = False
                    return
                self._spool.write(session_id + "\n")
                previous = session_id
                self.size += 1
        except NotSupported:
            self._merge = False
            return
        self._spool.seek(0)
        self._advance()

    def _advance(self) -> None:
        assert self._spool is not None
        line = self._spool.readline()
        self._current = line[:-1] if line else None

    def contains(self, session_id: str) -> bool:
        """True when the destination held ``session_id`` when the migration started."""
        if self._store is None:
            return False
        in_order = self._last_asked is None or session_id > self._last_asked
        if not (self._merge and in_order):
            return self._store.has_session(session_id)
        self._last_asked = session_id
        while self._current is not None and self._current < session_id:
            self._advance()
        return self._current == session_id

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def __enter__(self) -> DestinationIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
