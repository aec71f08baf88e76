"""Deliberately broken stores: the conformance suite must catch each one, by its expected ids.

Each is a small, plausible bug (the kind a backend author ships by accident) on top of a
correct store, so that nothing but the one bug differs. ``tests/test_conformance_selftest.py``
runs the suite against each and checks that exactly the expected scenarios fail.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from session_core import values
from session_core.store import Capabilities, SessionStore
from session_core.stores.sqlite import SQLiteStore


def _rewrite(items: list[tuple[str, str]], change: Any) -> list[tuple[str, str]]:
    return [(session_id, json.dumps(change(json.loads(text)))) for session_id, text in items]


class DropsNoneStore(SQLiteStore):
    """Bug: skips top-level keys whose value is None (as a store mapping keys to NULL-less columns)."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(_rewrite(items, lambda record: {k: v for k, v in record.items() if v is not None}))


def _floats(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _floats(item) for key, item in value.items()}
    return value


class IntsToFloatsStore(SQLiteStore):
    """Bug: numbers pass through a float64 column, so every int comes back a float."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(_rewrite(items, _floats))


class LeakyStore(SQLiteStore):
    """Bug: looks a session up with ``LIKE id%``, so an unknown id finds another session's record."""

    def _get(self, session_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT record FROM sessions WHERE id LIKE ? || '%' ORDER BY id LIMIT 1", (session_id,)
        ).fetchone()
        return None if row is None else row[0]


class AcceptsTraversalStore(SQLiteStore):
    """Bug: overrides ``write`` to accept "legacy" ids: the template's ``write`` minus the id check."""

    def write(self, session_id: str, record: Mapping[str, Any]) -> None:
        text = values.encode(values.to_portable(dict(record)))
        with self._guard(f"write of session {session_id!r}"):
            self._put(session_id, text)


class NonAtomicStore(SQLiteStore):
    """Bug: writes a record in two commits (the first half, then the whole), so a reader or a
    kill between them finds a torn record."""

    SECOND_HALF_DELAY_S = 0.02

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many([(session_id, text[: len(text) // 2]) for session_id, text in items])
        time.sleep(self.SECOND_HALF_DELAY_S)
        super()._put_many(items)


class LosesConcurrentWritesStore(SessionStore):
    """Bug: all sessions in one JSON file, read-modified-written without a lock, so concurrent
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


class ClaimsDeleteStore(SQLiteStore):
    """Bug: declares ``delete`` (the default capabilities) but deleting silently does nothing."""

    capabilities = Capabilities(delete=True)

    def _delete(self, session_id: str) -> bool:
        return True
