"""Streaming every record of a store in id order, stepping over the ones that cannot be read."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from session_core.errors import SessionCoreError
from session_core.store import SessionStore
from session_core.values import content_hash

logger = logging.getLogger(__name__)


def source_records(
    store: SessionStore, on_failure: Callable[[str, SessionCoreError], None]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Stream ``(id, record)`` from ``store`` ascending, stepping over records that fail to read.

    This is :meth:`SessionStore.iter_records` with ``errors="report"``: each unreadable record
    goes to ``on_failure`` (before any later id is yielded) and the others still come.

    Raises:
        StoreError: the store cannot even list its ids (nothing more can be read).
    """
    return store.iter_records(errors="report", on_error=on_failure)


def hashed_ids(store: SessionStore) -> Iterator[tuple[str, str | None]]:
    """Stream ``(id, content hash)`` ascending; the hash is ``None`` for an unreadable record."""
    unreadable: list[str] = []

    def note(session_id: str, error: SessionCoreError) -> None:
        logger.warning("%s", error)
        unreadable.append(session_id)

    for session_id, record in source_records(store, note):
        while unreadable:
            yield unreadable.pop(0), None
        yield session_id, content_hash(record)
    while unreadable:
        yield unreadable.pop(0), None
