"""Finalising a lost run in the store: the one place a ``lost`` status is written."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .history import effective_status, parse_time
from .kinds import Status

if TYPE_CHECKING:
    from .store import SessionStore


def finalise_lost(store: SessionStore, session_id: str, lost_after: float | None = None) -> bool:
    """Rewrite a lost run as ``lost``, ended at its last heartbeat; False if it is not lost now.

    The record is read again just before it is rewritten, so a run that beat meanwhile is left
    alone.

    Raises:
        SessionNotFound, StoreError.
    """
    record = store.load(session_id)
    if effective_status(record, datetime.now(timezone.utc), lost_after) != Status.LOST:
        return False
    started, last_beat = parse_time(record.get("started_at")), parse_time(record.get("heartbeat_at"))
    record.update(status=Status.LOST, ended_at=record.get("heartbeat_at"))
    if started is not None and last_beat is not None:
        record["duration_s"] = round((last_beat - started).total_seconds(), 6)
    store.write(session_id, record)
    return True
