"""SQLite store: one database file, one row per session, safe for many processes at once.

Layout (format version 1)::

    sessions(id TEXT PRIMARY KEY, record TEXT NOT NULL)   -- record: the JSON text
    session_core_meta(key TEXT PRIMARY KEY, value TEXT)   -- 'format_version' -> '1'

The database runs in WAL mode with ``synchronous=NORMAL`` (a committed save survives the process
being killed) and a busy timeout; every write is one ``BEGIN IMMEDIATE`` transaction. First use
by several processes at once is safe: creating the schema and switching to WAL are retried while
the file is locked (WAL's switch can report "database is locked" even with a busy timeout).
Kedro passes a folder as ``path``; a path without a ``.db``/``.sqlite``/``.sqlite3`` suffix is
taken as a folder holding ``session_store.db``, as kedro-viz laid it out.

Format 0 is the layout this store grew from: kedro-viz's ``runs(id, blob)`` table and no
``session_core_meta``. Such a file is left exactly as found (not even switched to WAL) and
refused with :class:`~session_core.errors.FormatVersionError` (``found=0``);
``python -m session_core migrate --upgrade`` converts it (:meth:`SQLiteStore.upgrade_format`)
after :meth:`SQLiteStore.backup_for_upgrade` copied it whole.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from session_core.errors import StoreError
from session_core.kinds import LegacyIds
from session_core.conditions import Condition, render_where
from session_core.location import LocalLayout
from session_core.store import FormatUpgrade, SessionStore

from ._paths import db_layout, resolve_db_path
from ._retry import retry_while_locked

DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
DEFAULT_FILENAME = "session_store.db"
_FETCH_ROWS = 1000


#: The format-0 table (kedro-viz's layout).
LEGACY_TABLE = "runs"


def json_text(path: str) -> str:
    """SQL for the value at JSON ``path`` (a quoted literal or ``?``) of a record; NULL for a
    record that is not valid JSON, so one torn row neither breaks a filtered read nor a write
    (an index on plain ``json_extract`` would refuse to store it)."""
    return f"(CASE WHEN json_valid(record) THEN json_extract(record, {path}) END)"


STARTED_AT_PATH = "'$.started_at'"
#: The current layout; :func:`create_schema` applies it (also used by the format upgrade).
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS session_core_meta (key TEXT PRIMARY KEY, value TEXT)",
    # `list --since`: an index on the expression the pushed-down time condition uses
    "CREATE INDEX IF NOT EXISTS sessions_started_at ON sessions "
    + f"({json_text(STARTED_AT_PATH)})",
)


def create_schema(conn: sqlite3.Connection, format_version: int) -> None:
    """Create the current tables and record ``format_version``, inside the caller's transaction."""
    for statement in SCHEMA:
        conn.execute(statement)
    conn.execute(
        "INSERT OR IGNORE INTO session_core_meta VALUES ('format_version', ?)", (str(format_version),)
    )


def _is_locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


#: Records are fetched as bytes and decoded by the core: a row holding invalid UTF-8 is then a
#: CorruptRecord of its own session, where sqlite3's decoding would fail the whole page.
_RECORD_BYTES = "CAST(record AS BLOB)"

class SQLiteStore(SessionStore):
    """Sessions in one SQLite file.

    Options:
        timeout: seconds to wait for another process's lock before :class:`StoreTimeout`.
    """

    UPGRADABLE_FROM = frozenset({0})

    @staticmethod
    def _db_file(path: Any) -> Path:
        return resolve_db_path(path, store="SQLiteStore", suffixes=DB_SUFFIXES, default_name=DEFAULT_FILENAME)

    @classmethod
    def local_layout(cls, path: Path) -> LocalLayout:
        return db_layout(path, suffixes=DB_SUFFIXES, default_name=DEFAULT_FILENAME)

    def _setup(self, path: Any, timeout: float = 30.0) -> None:
        self._db = self._db_file(path)
        self._timeout = float(timeout)
        self._conn = sqlite3.connect(
            self._db, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        self._locked(self._init_schema, "schema creation")

    def _locked(self, action, operation: str):
        return retry_while_locked(
            action, _is_locked, location=self.location, operation=operation, timeout=self._timeout
        )

    def _init_schema(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._format0 = LEGACY_TABLE in tables and "session_core_meta" not in tables
        if self._format0:
            return
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_core_meta'"
        ).fetchone()
        if exists:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            create_schema(conn, self.FORMAT_VERSION)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _location(self) -> str:
        return str(self._db)

    def _stored_format_version(self) -> int | None:
        if self._format0:
            return 0
        row = self._conn.execute(
            "SELECT value FROM session_core_meta WHERE key = 'format_version'"
        ).fetchone()
        return None if row is None else int(row[0])

    def _get(self, session_id: str) -> bytes | None:
        row = self._conn.execute(f"SELECT {_RECORD_BYTES} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else row[0]

    def _put(self, session_id: str, text: str) -> None:
        self._put_many([(session_id, text)])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        def transaction() -> None:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO sessions (id, record) VALUES (?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                    items,
                )
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

        self._locked(transaction, f"write of {len(items)} sessions")

    def _delete(self, session_id: str) -> bool:
        cursor = self._locked(
            lambda: self._conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)),
            "delete",
        )
        return cursor.rowcount > 0

    def _iter_ids(self) -> Iterator[str]:
        for rows in self._stream("SELECT id FROM sessions ORDER BY id"):
            for (session_id,) in rows:
                yield session_id

    def _iter_items(self) -> Iterator[tuple[str, bytes]]:
        for rows in self._stream(f"SELECT id, {_RECORD_BYTES} FROM sessions ORDER BY id"):
            yield from rows

    def _iter_items_where(
        self, conditions: Sequence[Condition], newest_first: bool
    ) -> Iterator[tuple[str, bytes]]:
        """The conditions as a WHERE over :func:`json_text` (a row that is not JSON passes).
        With a time window the index on ``started_at`` finds the rows and they are sorted
        (``+id`` keeps SQLite from walking the whole primary key instead); otherwise the primary
        key streams them in order."""
        # a record that is not valid JSON has a NULL started_at (json_text): it passes the
        # conditions, to be reported by the reader, and the index on started_at still serves
        where, parameters = render_where(
            conditions, json_text, key="id", unreadable=f"{json_text(STARTED_AT_PATH)} IS NULL"
        )
        timed = any(condition.path == ("started_at",) for condition in conditions)
        order = f"{'+' if timed else ''}id {'DESC' if newest_first else 'ASC'}"
        query = f"SELECT id, {_RECORD_BYTES} FROM sessions WHERE {where} ORDER BY {order}"
        return (item for rows in self._stream(query, parameters) for item in rows)

    def _count(self) -> int:
        return self._conn.execute("SELECT count(*) FROM sessions").fetchone()[0]

    def _stream(self, query: str, parameters: Sequence[str] = ()) -> Iterator[list[tuple]]:
        """Fetch in pages on a cursor of its own, so nothing is loaded whole."""
        cursor = self._conn.execute(query, parameters)
        try:
            while rows := cursor.fetchmany(_FETCH_ROWS):
                yield rows
        finally:
            with contextlib.suppress(sqlite3.ProgrammingError):  # the store closed first
                cursor.close()

    def _close(self) -> None:
        self._conn.close()

    # ------------------------------------------------------------------ format upgrade (format 0)

    @classmethod
    def backup_for_upgrade(cls, path: Any, found: int, location: str, **options: Any) -> Path:
        """Copy the whole database with SQLite's online backup into a new file beside it."""
        db = cls._db_file(path)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        backup = db.with_name(f"{db.name}.format{found}-backup-{stamp}")
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
        return backup

    @classmethod
    def upgrade_format(
        cls, path: Any, found: int, location: str, legacy_ids: LegacyIds = LegacyIds.REFUSE, **options: Any
    ) -> FormatUpgrade:
        """Format 0 -> current: copy ``runs`` into ``sessions`` and drop ``runs``, in one transaction.

        A row that cannot be carried over is a failure of its own; anything else rolls back.
        """
        from session_core.migrate.kedro_viz import iter_rows, record_text  # format 0 is kedro-viz's layout
        from session_core.migrate.legacy_ids import carry_text

        conn = sqlite3.connect(cls._db_file(path), isolation_level=None)
        failures: list[tuple[str, str]] = []
        sessions = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            create_schema(conn, cls.FORMAT_VERSION)
            for raw_id, *row in iter_rows(conn):
                try:
                    session_id, text = carry_text(raw_id, record_text(*row), legacy_ids)
                except (ValueError, TypeError, RecursionError) as exc:  # InvalidSessionId is a ValueError
                    failures.append((str(raw_id), str(exc)))
                    continue
                conn.execute("INSERT INTO sessions (id, record) VALUES (?, ?)", (session_id, text))
                sessions += 1
            conn.execute(f"DROP TABLE {LEGACY_TABLE}")
            conn.execute("COMMIT")
        except Exception as exc:  # anything but a per-row fault: change nothing
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(location, f"upgrade from format {found}", exc) from exc
        finally:
            conn.close()
        return FormatUpgrade(sessions, failures)
