"""Upgrading a store written in an older format, in place, after a backup.

A store remembers the format version it was written in; opening one in another version raises
:class:`~session_core.errors.FormatVersionError`. A *newer* format is refused (this code cannot
know it). An *older* one is converted by :func:`upgrade_store`, explicitly
(``python -m session_core migrate --upgrade STORE``), never as a side effect of opening.

Known upgrades are a table from (store class, found version) to a function. Today there is one:
SQLite format 0 (kedro-viz's ``runs(id, blob)`` layout, without ``session_core_meta``) to the
current layout. Each upgrade first writes a complete backup beside the store, then converts in a
single transaction: a crash leaves the store as it was, and running the command again is safe.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from session_core.errors import FormatVersionError, InvalidSessionId, StoreError
from session_core.ids import validate_session_id
from session_core.registry import StoreSpec

from .kedro_viz import iter_rows, record_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpgradeResult:
    """What an upgrade did; ``backup`` is ``None`` when the store was already current.

    ``failures`` lists ``(session_id, reason)`` of rows that could not be converted; they stay
    in the backup.
    """

    location: str
    from_version: int
    to_version: int
    backup: Path | None = None
    sessions: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "backup": None if self.backup is None else str(self.backup),
            "sessions": self.sessions,
            "failed": len(self.failures),
        }


def upgrade_store(spec: StoreSpec) -> UpgradeResult:
    """Bring the store named by ``spec`` to the current format; a no-op when it already is.

    Raises:
        FormatVersionError: the store is newer than this code, or no upgrade is known from its
            format for its store class.
        StoreError: the backup or the conversion failed (the store is left as it was).
    """
    try:
        with spec.open() as store:
            version = store.format_version()
            return UpgradeResult(store.location, version, version)
    except FormatVersionError as exc:
        if exc.found > exc.supported:
            raise
        store_class = spec.store_class()
        step = UPGRADES.get((f"{store_class.__module__}:{store_class.__qualname__}", exc.found))
        if step is None:
            raise
        logger.info("upgrading %s from format %d to %d", exc.location, exc.found, exc.supported)
        return step(spec, exc)


def _sqlite_format0(spec: StoreSpec, found: FormatVersionError) -> UpgradeResult:
    """SQLite format 0 -> current: back up, then copy ``runs`` into ``sessions`` in one transaction."""
    from session_core.stores._paths import resolve_db_path
    from session_core.stores.sqlite import DB_SUFFIXES, DEFAULT_FILENAME, LEGACY_TABLE, create_schema

    db = resolve_db_path(spec.path, store="SQLiteStore", suffixes=DB_SUFFIXES, default_name=DEFAULT_FILENAME)
    backup = _backup_sqlite(db, found.location, found.found)
    conn = sqlite3.connect(db, isolation_level=None)
    failures: list[tuple[str, str]] = []
    sessions = 0
    try:
        conn.execute("BEGIN IMMEDIATE")
        create_schema(conn, found.supported)
        for session_id, *row in iter_rows(conn):
            try:
                validate_session_id(session_id)
                text = record_text(*row)
            except (InvalidSessionId, ValueError) as exc:
                failures.append((str(session_id), str(exc)))
                continue
            conn.execute("INSERT INTO sessions (id, record) VALUES (?, ?)", (session_id, text))
            sessions += 1
        conn.execute(f"DROP TABLE {LEGACY_TABLE}")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(found.location, "upgrade from format 0", exc) from exc
    finally:
        conn.close()
    for session_id, reason in failures:
        logger.warning("%s: session %s not upgraded (kept in %s): %s", found.location, session_id, backup, reason)
    return UpgradeResult(found.location, found.found, found.supported, backup, sessions, failures)


def _backup_sqlite(db: Path, location: str, version: int) -> Path:
    """Copy the whole database with SQLite's online backup into a new file beside it."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    backup = db.with_name(f"{db.name}.format{version}-backup-{stamp}")
    if backup.exists():
        raise StoreError(location, "backup", f"{backup} already exists")
    source = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(backup)
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        backup.unlink(missing_ok=True)
        raise StoreError(location, f"backup to {backup}", exc) from exc
    finally:
        source.close()
    logger.info("%s: backup written to %s", location, backup)
    return backup


#: (store class path, format found) -> the upgrade from that format to the current one.
UPGRADES: dict[tuple[str, int], Callable[[StoreSpec, FormatVersionError], UpgradeResult]] = {
    ("session_core.stores.sqlite:SQLiteStore", 0): _sqlite_format0,
}
