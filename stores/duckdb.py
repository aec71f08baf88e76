"""DuckDB store: one database file, one row per session, shared by many processes.

Layout (format version 1)::

    sessions(id VARCHAR PRIMARY KEY, record VARCHAR NOT NULL)   -- record: the JSON text
    session_core_meta(key VARCHAR PRIMARY KEY, value VARCHAR)   -- 'format_version' -> '1'

DuckDB lets one process at a time open a file for writing, and a writer also shuts out
read-only openers: the loser gets ``IOException: Could not set lock on file`` at once. This
store hides that:

* The file is held only for the length of one operation: each operation attaches it to an
  in-memory DuckDB (``ATTACH ? AS <alias>``, read-only for reads) and detaches it again.
  Attaching costs about 1-3 ms where a fresh ``duckdb.connect`` costs 15-25 ms (measured here),
  so one in-memory engine per process is made on first use and shared: each store instance
  works through a cursor of its own under an alias of its own.
* Operations of the processes (and threads) using this store take turns through
  ``<file>.lock`` (:mod:`session_core.stores._filelock`). The turn-taking is needed for correctness, not only
  speed: measured here with DuckDB 2.0, opening a file reads its header *before* taking DuckDB's
  own lock, and 4 of 8 processes saving 500 sessions each died with ``Could not read enough
  bytes`` when another process checkpointed in that gap.
* A write is durable once its commit is in DuckDB's write-ahead log, ``<file>.wal``: the file
  is checkpointed when the log has grown (see :meth:`DuckDBStore._run`) and when a store that
  wrote closes, so while writers are open the newest saves may live in the log alone.
* An attach that still meets DuckDB's lock (a process outside this store, such as the DuckDB
  CLI, holds the file) is retried with jittered backoff (:mod:`session_core.stores._retry`). Either wait ends
  after ``timeout`` seconds with :class:`StoreTimeout`.

Listing fetches ids in keyset pages (``WHERE id > last ORDER BY id LIMIT n``) and records in id
ranges between boundaries found once, each page in its own turn, so a long ``list`` never holds
the file that writers wait for. The first pages of a newest-first read (``list``, the run
browser) are found among the file's last rows and read by id range, so their cost hardly grows
with the store. A batch write is one
``INSERT OR REPLACE ... SELECT unnest(?), unnest(?)`` of two lists: one statement, one
transaction, several times faster than ``executemany``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from session_core.conditions import Condition, render_where
from session_core.location import LocalLayout
from session_core.store import SessionStore

from ._filelock import StoreLock
from ._paths import db_layout, resolve_db_path
from ._retry import retry_while_locked

DB_SUFFIXES = (".duckdb", ".ddb", ".db")
DEFAULT_FILENAME = "sessions.duckdb"
#: Rows per listing page; each page is read in a turn of its own. A keyset page re-runs a scan
#: and a top-N, so small pages make listing quadratic: 1,000 ids and 100 records per page
#: loaded 100,000 sessions at 0.04 of the raw rate, 20,000 and 2,000 at 0.4. Id listings and
#: full record streams grow their pages (twice as large each time) up to the ``_MAX`` sizes;
#: the largest record page holds about 16,000 records (10 MB) in memory.
ID_PAGE = 20_000
ID_PAGE_MAX = 160_000
RECORD_PAGE = 2_000
RECORD_PAGE_MAX = 16_000
#: the first page of a newest-first read: ``list`` shows 20 rows, so it need not fetch 2,000;
#: the next doubles, and past NEWEST_PAGE_MAX the read goes on by id ranges
FIRST_RECORD_PAGE = 32
#: newest-first pages up to this size come from the file's last rows
#: (:meth:`DuckDBStore._newest_rows`): 32 and 64 rows, so ``list`` (20 rows) and the run
#: browser's first page (50) are read by id range; a larger page costs as much either way
NEWEST_PAGE_MAX = 64
#: the write-ahead log's size beyond which a write checkpoints it into the file (see
#: :meth:`DuckDBStore._run`): about 10 saves of a 600-byte record
WAL_CHECKPOINT_BYTES = 8 * 1024

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {db}.sessions (id VARCHAR PRIMARY KEY, record VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {db}.session_core_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
)
#: Error texts that mean "someone else holds the file": another process holds DuckDB's lock,
#: or another DuckDB instance of this process has the file open.
_BUSY = ("could not set lock", "conflicting lock", "file handle conflict")
T = TypeVar("T")


_engines: dict[int, duckdb.DuckDBPyConnection] = {}  # pid -> this process's in-memory engine
_engines_lock = threading.Lock()


def _process_engine() -> duckdb.DuckDBPyConnection:
    """The process's shared in-memory DuckDB, made on first use (a forked child makes its own)."""
    pid = os.getpid()
    with _engines_lock:
        engine = _engines.get(pid)
        if engine is None:
            _engines.clear()  # the parent's engine, inherited through fork, is not ours to use
            engine = _engines[pid] = duckdb.connect(":memory:", config={"checkpoint_on_detach": "DISABLED"})
        return engine


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and any(text in str(exc).lower() for text in _BUSY)


class DuckDBStore(SessionStore):
    """Sessions in one DuckDB file.

    Options:
        timeout: seconds one operation may wait for other processes (its turn, then DuckDB's
            own file lock) before :class:`StoreTimeout`.
    """

    #: every batch pays an attach and a checkpoint (about 20 ms): fewer, larger batches
    BATCH_SIZE = 10_000

    @classmethod
    def local_layout(cls, path: Path) -> LocalLayout:
        return db_layout(path, suffixes=DB_SUFFIXES, default_name=DEFAULT_FILENAME)

    def _setup(self, path: Any, timeout: float = 30.0) -> None:
        self._db = resolve_db_path(
            path, store="DuckDBStore", suffixes=DB_SUFFIXES, default_name=DEFAULT_FILENAME
        )
        self._timeout = float(timeout)
        self._wal = self._db.with_name(self._db.name + ".wal")
        self._lock = StoreLock(self._db.with_name(self._db.name + ".lock"), self._timeout)
        self._alias = f"store_{uuid.uuid4().hex}"  # attachments are shared by the engine's cursors
        self._cursor: duckdb.DuckDBPyConnection | None = None
        self._cursor_pid = 0
        self._version: int | None = None
        self._wrote = False  # a store that wrote checkpoints the log when it closes
        if self._db.exists():  # a read-only turn, no checkpoint: the usual open of a store
            self._version = self._run("format version read", self._read_version, write=False)
        if self._version is None:
            self._version = self._run("schema creation", self._init_schema, write=True)

    def _read_version(self, conn: duckdb.DuckDBPyConnection) -> int | None:
        """The stored format version; ``None`` when the schema is not there yet."""
        try:
            row = conn.execute(
                f"SELECT value FROM {self._alias}.session_core_meta WHERE key = 'format_version'"
            ).fetchone()
        except duckdb.CatalogException:
            return None
        return None if row is None else int(row[0])

    def _init_schema(self, conn: duckdb.DuckDBPyConnection) -> int:
        for statement in _SCHEMA:
            conn.execute(statement.format(db=self._alias))
        conn.execute(
            f"INSERT OR IGNORE INTO {self._alias}.session_core_meta VALUES ('format_version', ?)",
            [str(self.FORMAT_VERSION)],
        )
        version = self._read_version(conn)
        assert version is not None
        return version

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """This instance's cursor on the process's engine (a forked child makes its own)."""
        if self._cursor is None or self._cursor_pid != os.getpid():
            self._cursor = _process_engine().cursor()
            self._cursor_pid = os.getpid()
        return self._cursor

    def _run(
        self,
        operation: str,
        work: Callable[[duckdb.DuckDBPyConnection], T],
        *,
        write: bool,
        checkpoint_above: int = WAL_CHECKPOINT_BYTES,
    ) -> T:
        """Run ``work`` with the file attached as ``store``, in this store's turn.

        A write's commit stays in ``<file>.wal``, which DuckDB has fsynced when the commit
        returns (so a save survives kill -9; a torn tail of the log left by a killed writer is
        cut off by the next attach, tested at every 7th byte), and every later attach replays
        it. A checkpoint at each detach (DuckDB's default) cost 3 fsyncs more per save: 4 in
        all against the raw library's 1, and 4 processes saved at 0.41 of the raw rate. Now the
        write that finds the log beyond ``checkpoint_above`` bytes checkpoints it, so a
        reader never replays more than about 10 saves (about 0.06 ms each).
        """
        self._wrote = self._wrote or write
        attach = f"ATTACH ? AS {self._alias}" + ("" if write else " (READ_ONLY)")

        def attempt() -> T:
            conn = self._connection()
            conn.execute(attach, [str(self._db)])
            try:
                result = work(conn)
                if write and self._wal.exists() and self._wal.stat().st_size > checkpoint_above:
                    conn.execute(f"CHECKPOINT {self._alias}")
                return result
            finally:
                conn.execute(f"DETACH {self._alias}")

        deadline = time.monotonic() + self._timeout
        with self._lock.hold(self.location, operation):
            return retry_while_locked(
                attempt,
                _is_busy,
                location=self.location,
                operation=operation,
                timeout=max(0.0, deadline - time.monotonic()),
            )

    def _location(self) -> str:
        return str(self._db)

    def _stored_format_version(self) -> int | None:
        """Read once when the store opens (an upgrade happens offline, through migrate)."""
        return self._version

    def _get(self, session_id: str) -> str | None:
        row = self._run(
            f"read of session {session_id!r}",
            lambda c: c.execute(
                f"SELECT record FROM {self._alias}.sessions WHERE id = ?", [session_id]
            ).fetchone(),
            write=False,
        )
        return None if row is None else row[0]

    def _put(self, session_id: str, text: str) -> None:
        self._put_many([(session_id, text)])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        latest = dict(items)  # one statement may not touch a key twice; the last write wins
        ids, texts = list(latest), list(latest.values())
        self._run(
            f"write of {len(ids)} sessions",
            lambda c: c.execute(
                f"INSERT OR REPLACE INTO {self._alias}.sessions SELECT unnest(?), unnest(?)",
                [ids, texts],
            ),
            write=True,
        )

    def _delete(self, session_id: str) -> bool:
        rows = self._run(
            f"delete of session {session_id!r}",
            lambda c: c.execute(
                f"DELETE FROM {self._alias}.sessions WHERE id = ? RETURNING id", [session_id]
            ).fetchall(),
            write=True,
        )
        return bool(rows)

    def _iter_ids(self) -> Iterator[str]:
        for rows in self._pages("id", ID_PAGE_MAX, first=ID_PAGE):
            for (session_id,) in rows:
                yield session_id

    def _iter_items(self) -> Iterator[tuple[str, str]]:
        for rows in self._record_pages():
            yield from rows

    def _record_pages(
        self, where: str = "TRUE", parameters: Sequence[str] = (), descending: bool = False, after: str | None = None
    ) -> Iterator[list[tuple[str, str]]]:
        """Every record matching ``where`` in id order (``descending``: highest first), past
        ``after`` when given, in pages read each in a turn of its own.

        A keyset page of ``id, record`` (:meth:`_pages`) reads the record column of every row
        beyond the page (40 of 50 ms per page at 100,000 sessions, measured with ``EXPLAIN
        ANALYZE``), and with a filter evaluates it on every such row: a filtered read of 100,000
        matches took 9.8 s. So the first turn numbers the matching ids once and keeps every
        :data:`RECORD_PAGE`-th as a page boundary (one pass over the table), and each page reads
        one id range: :data:`RECORD_PAGE` ids first, twice as many each time after, up to
        :data:`RECORD_PAGE_MAX`. Ids written between pages are read when their range comes, as
        with keyset pages; ranges never overlap, so no id is read twice.
        """
        sessions = f"{self._alias}.sessions"
        order, beyond, within = ("DESC", "id < ?", "id >= ?") if descending else ("ASC", "id > ?", "id <= ?")
        start, start_arguments = (f"{beyond} AND ", [after]) if after is not None else ("", [])
        numbered = (
            f"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id {order}) AS n FROM {sessions} "
            f"WHERE {start}({where})) WHERE n % {RECORD_PAGE} = 0 ORDER BY id {order}"
        )
        bounds: list[str] = []
        lower = after
        used, span, widest = 0, 1, max(1, RECORD_PAGE_MAX // RECORD_PAGE)  # boundaries passed; per page
        while True:

            def page(conn: duckdb.DuckDBPyConnection) -> tuple[str | None, list[tuple[str, str]]]:
                if used == 0:  # the first turn also finds every page boundary
                    bounds[:] = [bound for (bound,) in conn.execute(numbered, [*start_arguments, *parameters]).fetchall()]
                upper = bounds[used + span - 1] if used + span <= len(bounds) else None
                limits = [(condition, bound) for condition, bound in ((beyond, lower), (within, upper))
                          if bound is not None]
                ranged = "".join(f"{condition} AND " for condition, _ in limits)
                rows = conn.execute(
                    f"SELECT id, record FROM {sessions} WHERE {ranged}({where}) ORDER BY id {order}",
                    [*(bound for _, bound in limits), *parameters],
                ).fetchall()
                return upper, rows

            upper, rows = self._run("listing", page, write=False)
            if rows:
                yield rows
            if upper is None:
                return
            lower, used, span = upper, used + span, min(widest, span * 2)

    def _iter_items_where(
        self, conditions: Sequence[Condition], newest_first: bool
    ) -> Iterator[tuple[str, str]]:
        """The conditions as a WHERE over ``json_extract_string`` (a row that is not JSON
        passes), read by id ranges (:meth:`_record_pages`); newest first, the first pages come
        from :meth:`_newest_rows` (all that ``list`` and the run browser's first page read)."""
        where, parameters = render_where(  # a record that is not valid JSON passes, to be reported
            conditions, lambda path: f"(CASE WHEN json_valid(record) THEN json_extract_string(record, {path}) END)",
            key="id", unreadable="CASE WHEN json_valid(record) THEN json_type(record) <> 'OBJECT' ELSE true END",
        )
        pages = self._newest_then_ranges(where, parameters) if newest_first else self._record_pages(where, parameters)
        return (item for rows in pages for item in rows)

    def _newest_then_ranges(self, where: str, parameters: Sequence[str]) -> Iterator[list[tuple[str, str]]]:
        """Highest id first: keyset pages while they stay on :meth:`_newest_rows`'s cheap path
        (up to :data:`NEWEST_PAGE_MAX` rows), then id ranges past the last id read."""
        last = None
        for rows in self._pages("id, record", RECORD_PAGE, where, parameters, descending=True, first=FIRST_RECORD_PAGE):
            yield rows
            last = rows[-1][0]
            if len(rows) >= NEWEST_PAGE_MAX:  # a full page: the next keyset page would scan the table
                break
        else:
            return
        yield from self._record_pages(where, parameters, descending=True, after=last)

    def _count(self) -> int:
        return self._run("count", lambda c: c.execute(f"SELECT count(*) FROM {self._alias}.sessions").fetchone()[0],
                         write=False)

    def _pages(
        self,
        columns: str,
        size: int,
        where: str = "TRUE",
        parameters: Sequence[str] = (),
        descending: bool = False,
        first: int | None = None,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Keyset pages in id order, each read in a turn of its own: ``first`` rows (default
        ``size``), then twice as many each time up to ``size``."""
        after, order = ("<", "DESC") if descending else (">", "ASC")
        select = f"SELECT {columns} FROM {self._alias}.sessions WHERE {{keyset}}({where}) ORDER BY id {order} LIMIT {{limit}}"
        keyset, arguments = "", list(parameters)
        limit = first or size
        while True:
            query = select.format(keyset=keyset, limit=limit)

            def page(conn: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
                newest = None
                if descending and limit <= NEWEST_PAGE_MAX:
                    newest = self._newest_rows(conn, columns, f"{keyset}({where})", arguments, limit)
                return conn.execute(query, arguments).fetchall() if newest is None else newest

            rows = self._run("listing", page, write=False)
            if not rows:
                return
            yield rows
            if len(rows) < limit:
                return
            keyset, arguments = f"id {after} ? AND ", [rows[-1][0], *parameters]
            limit = min(size, limit * 2)

    def _newest_rows(
        self, conn: duckdb.DuckDBPyConnection, columns: str, where: str, parameters: Sequence[str], limit: int
    ) -> list[tuple[Any, ...]] | None:
        """``columns`` of the ``limit`` newest rows matching ``where`` (which holds the page's
        keyset), read without a pass over the table; ``None`` when the file's last
        :attr:`BATCH_SIZE` rows hold fewer matches than that.

        ``ORDER BY id DESC LIMIT n`` reads the id of every row (DuckDB's row-group statistics
        keep an 8-byte prefix of a string, the same for every id of a day) and, beyond 50 rows
        (``late_materialization_max_rows``), every record too: 27 ms for 64 rows at 100,000
        sessions against 3 ms at 100. Sessions are appended as they are created, so the newest
        sit in the last rows of the file: the ``limit`` newest matches among those (a ``rowid``
        range, which DuckDB reads alone) give a lower id with at least ``limit`` matches at or
        above it, and that id range is read through the primary key's index. Right whatever
        the order of the rows in the file; only the cost depends on it: the range read costs
        about 20 µs a row. The window is one batch because DuckDB places the rows of one
        ``INSERT OR REPLACE`` in any order when it runs on several threads (a window of 256
        rows after a batch of 10,000 gave a range of 1,089 rows, 17 ms). No ``LIMIT`` on the
        range read: with one DuckDB plans a top-N over every id instead of the index scan.
        """
        sessions = f"{self._alias}.sessions"
        tail = conn.execute(
            f"SELECT id FROM {sessions} WHERE rowid >= (SELECT count(*) FROM {sessions}) - {self.BATCH_SIZE} "
            f"AND ({where}) ORDER BY id DESC LIMIT {limit}",
            list(parameters),
        ).fetchall()
        if len(tail) < limit:
            return None
        return conn.execute(
            f"SELECT {columns} FROM {sessions} WHERE id >= ? AND ({where}) ORDER BY id DESC",
            [tail[-1][0], *parameters],
        ).fetchmany(limit)

    @contextlib.contextmanager
    def _query_source(self, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
        """The file attached read-only to the query's connection, for as long as the query
        reads, in this store's turn (writers wait, as they wait for a long listing page)."""
        alias = f"query_{uuid.uuid4().hex}"
        deadline = time.monotonic() + self._timeout
        with self._lock.hold(self.location, "query"):
            retry_while_locked(
                lambda: con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(self._db)]),
                _is_busy,
                location=self.location,
                operation="query",
                timeout=max(0.0, deadline - time.monotonic()),
            )
            try:
                yield f"SELECT id AS session_id, record FROM {alias}.sessions"
            finally:
                con.execute(f"DETACH {alias}")

    def _close(self) -> None:
        """Checkpoint the write-ahead log if this store wrote (a reader never writes), so that
        once every process has closed the store its file alone holds every record: a copy of
        it is whole, and damage to a leftover log cannot hide a save."""
        try:
            if self._wrote and self._wal.exists() and self._wal.stat().st_size:
                self._run("checkpoint at close", lambda conn: None, write=True, checkpoint_above=0)
        finally:
            if self._cursor is not None and self._cursor_pid == os.getpid():
                self._cursor.close()
            self._cursor = None
