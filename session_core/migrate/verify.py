"""``--verify``: every record written is read back and compared by canonical content hash.

The ids and hashes written are spooled to a temporary file (flat memory); after the last batch
the destination is streamed once (:func:`~.reading.hashed_ids`) and merged with that spool, so
verification costs one streamed read, not one read per record. If the written ids were not in
ascending order (a source that does not list in order), each is loaded instead.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from session_core.errors import SessionNotFound, StoreError, VerifyMismatch
from session_core.store import SessionStore
from session_core.values import content_hash

from .reading import hashed_ids


class VerifyLog:
    """What was written, to check against the destination at the end (a context manager)."""

    def __init__(self) -> None:
        self._spool: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._last: str | None = None
        self._ordered = True
        self.count = 0

    def add(self, session_id: str, digest: str) -> None:
        if self._last is not None and session_id <= self._last:
            self._ordered = False
        self._last = session_id
        self._spool.write(f"{session_id}\t{digest}\n")
        self.count += 1

    def _written(self) -> Iterator[tuple[str, str]]:
        self._spool.seek(0)
        for line in self._spool:
            session_id, _, digest = line[:-1].partition("\t")
            yield session_id, digest

    def mismatches(self, dst: SessionStore) -> Iterator[VerifyMismatch]:
        """Every written record the destination does not give back intact."""
        if not self._ordered:
            for session_id, expected in self._written():
                try:
                    found: str | None = content_hash(dst.load(session_id))
                except (StoreError, SessionNotFound):
                    found = None
                if found != expected:
                    yield VerifyMismatch(dst.location, session_id, expected, found)
            return
        stored = hashed_ids(dst)
        current = next(stored, None)
        for session_id, expected in self._written():
            while current is not None and current[0] < session_id:
                current = next(stored, None)
            found = current[1] if current is not None and current[0] == session_id else None
            if found != expected:
                yield VerifyMismatch(dst.location, session_id, expected, found)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> VerifyLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
