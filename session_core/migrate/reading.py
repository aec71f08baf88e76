"""Streaming every record of a store in id order, stepping over the ones that cannot be read."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from session_core.errors import CorruptRecord, SessionCoreError, SessionNotFound, StoreError
from session_core.store import SessionStore
from session_core.values import content_hash

logger = logging.getLogger(__name__)


def source_records(
    store: SessionStore, on_failure: Callable[[str | None, SessionCoreError], None]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Stream ``(id, record)`` from ``store`` ascending, stepping over records that fail to read.

    The fast path is one streamed :meth:`~SessionStore.iter_records`. A failure ends that
    generator, so after the first one the rest is read id by id (:meth:`~SessionStore.session_ids`
    then :meth:`~SessionStore.load`), skipping the ids already handled; each unreadable record
    goes to ``on_failure`` (before any later id is yielded) and the others still come.

    Raises:
        StoreError: the store cannot even list its ids (nothing more can be read).
    """
    last: str | None = None
    try:
        for session_id, record in store.iter_records():
            last = session_id
            yield session_id, record
        return
    except CorruptRecord as exc:
        on_failure(exc.session_id, exc)
        last = exc.session_id
    except StoreError as exc:
        logger.warning("%s: streamed read failed after %r (%s); reading id by id", store.location, last, exc)
    for session_id in store.session_ids():
        if last is not None and session_id <= last:
            continue
        try:
            record = store.load(session_id)
        except (StoreError, SessionNotFound) as exc:
            on_failure(session_id, exc)
            continue
        yield session_id, record


def hashed_ids(store: SessionStore) -> Iterator[tuple[str, str | None]]:
    """Stream ``(id, content hash)`` ascending; the hash is ``None`` for an unreadable record."""
    unreadable: list[str] = []

    def note(session_id: str | None, error: SessionCoreError) -> None:
        logger.warning("%s", error)
        if session_id is not None:
            unreadable.append(session_id)

    for session_id, record in source_records(store, note):
        while unreadable:
            yield unreadable.pop(0), None
        yield session_id, content_hash(record)
    while unreadable:
        yield unreadable.pop(0), None
