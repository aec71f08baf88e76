"""Broken copies of the shelve and memory stores, and a one-file store without a lock."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from session_core.store import SessionStore
from session_core.stores.json import LOCAL, MemoryJSONStore
from session_core.stores.shelve import ShelveStore

from ._registry import breaks


@breaks(12, "SC-LIST-002")
class ListsByAgeStore(ShelveStore):
    """Lists session folders oldest first by modification time ("oldest first"), not by id."""

    def _iter_ids(self) -> Iterator[str]:
        yield from sorted(super()._iter_ids(), key=lambda session_id: os.stat(self._root / session_id).st_mtime_ns)


@breaks(21, "SC-PERSIST-002")
class MemoryClaimsDurableStore(MemoryJSONStore):
    """A memory store that declares the local folder's capabilities (``durable`` included)."""

    def _setup(self, path: Any, **options: Any) -> None:
        super()._setup(path, **options)
        self.capabilities = LOCAL


@breaks(23, "SC-CONC-001")
class LosesConcurrentWritesStore(SessionStore):
    """All sessions in one JSON file, read-modified-written without a lock, so concurrent
    writers overwrite each other's sessions (each file replace itself is atomic)."""

    READ_MODIFY_WRITE_GAP_S = 0.002

    def _setup(self, path: Any) -> None:
        self._file = Path(path) / "sessions.json"
        self._file.parent.mkdir(parents=True, exist_ok=True)

    def _location(self) -> str:
        return str(self._file)

    def _all(self) -> dict[str, str]:
        try:
            return json.loads(self._file.read_text("utf-8"))
        except FileNotFoundError:
            return {}

    def _replace(self, sessions: dict[str, str]) -> None:
        partial = self._file.with_name(f".{self._file.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(sessions), "utf-8")
        os.replace(partial, self._file)

    def _get(self, session_id: str) -> str | None:
        return self._all().get(session_id)

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        sessions = self._all()
        time.sleep(self.READ_MODIFY_WRITE_GAP_S)
        sessions.update(items)
        self._replace(sessions)

    def _put(self, session_id: str, text: str) -> None:
        self._put_many([(session_id, text)])

    def _delete(self, session_id: str) -> bool:
        sessions = self._all()
        if sessions.pop(session_id, None) is None:
            return False
        self._replace(sessions)
        return True

    def _iter_ids(self) -> Iterator[str]:
        yield from sorted(self._all())
