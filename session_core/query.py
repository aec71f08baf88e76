"""``query``: the user's SQL, run by DuckDB over one relation, ``sessions``, on any store.

``sessions`` has the same typed columns on every store (:data:`SESSION_COLUMNS`): ``id``,
``status`` (the effective status: a running record whose heartbeat stopped reads ``lost``),
``started_at``/``ended_at``/``heartbeat_at`` as TIMESTAMPTZ (UTC), ``duration_s``, ``exit_code``,
``branch``, ``commit_sha``, ``dirty``, ``command``, ``package_name``, ``project_path``, ``host``,
``username``, then ``params`` (the wrapped command's ``--key value`` params), ``runtime_params``,
``env``, ``user`` (the keys a user added with ``Session.update``) and ``record`` (everything) as
JSON.

Where the raw rows come from is the store's choice, through the optional hook
:meth:`SessionStore._query_source`: it readies a DuckDB connection and gives the SQL of a
relation ``(session_id VARCHAR, record VARCHAR)`` of every stored record (the DuckDB store
attaches its file read-only, the JSON store reads its files with DuckDB's JSON reader). A store
without the hook is streamed through its ``_iter_items`` into a temporary in-memory table, in
batches, without decoding the records in Python.

Only one ``SELECT`` statement is run (``DESCRIBE`` and ``SUMMARIZE`` are selects too); a statement
that writes, attaches, copies, installs or sets anything is refused with :class:`QueryError`,
and so is a syntax error or an unknown column (DuckDB's message names it). Extension
auto-install and auto-load are off and the configuration is locked before the user's SQL runs.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import QueryError, StoreError
from .kinds import Status
from .record import DEFAULT_HEARTBEAT_S, LOST_AFTER_INTERVALS
from .history import utc_now

if TYPE_CHECKING:
    import duckdb

    from .store import SessionStore

logger = logging.getLogger(__name__)

#: Top-level record keys the session core owns; the others are the user's (column ``user``).
OWN_KEYS = (
    "record_version", "session_id", "project_path", "package_name", "username", "host", "cli",
    "git", "env", "runtime_params", "exception", "status", "started_at", "ended_at",
    "duration_s", "exit_code", "heartbeat_at", "heartbeat_s", "stderr_tail",
)

def _text(path: str) -> str:
    return f"json_extract_string(record, '{path}')"


def _typed(path: str, sql_type: str) -> str:
    return f"TRY_CAST({_text(path)} AS {sql_type})"


#: column -> (SQL over ``record`` (the JSON text, VARCHAR) and ``session_id``, SQL type). The
#: text is never cast to JSON as a whole: measured here, the cast cost three times the
#: extraction of a field, and DuckDB's JSON functions read the text directly.
SESSION_COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("session_id", "VARCHAR"),
    "status": ("", "VARCHAR"),  # built by _status_sql: depends on the reading time
    "stored_status": (_text('$.status'), "VARCHAR"),
    "started_at": (_typed('$.started_at', 'TIMESTAMPTZ'), "TIMESTAMPTZ"),
    "ended_at": (_typed('$.ended_at', 'TIMESTAMPTZ'), "TIMESTAMPTZ"),
    "duration_s": (_typed('$.duration_s', 'DOUBLE'), "DOUBLE"),
    "exit_code": (_typed('$.exit_code', 'BIGINT'), "BIGINT"),
    "branch": (_text('$.git.branch'), "VARCHAR"),
    "commit_sha": (_text('$.git.commit_sha'), "VARCHAR"),
    "dirty": (_typed('$.git.dirty', 'BOOLEAN'), "BOOLEAN"),
    "command": (_text('$.cli.command_path'), "VARCHAR"),
    "package_name": (_text('$.package_name'), "VARCHAR"),
    "project_path": (_text('$.project_path'), "VARCHAR"),
    "host": (_text('$.host'), "VARCHAR"),
    "username": (_text('$.username'), "VARCHAR"),
    "heartbeat_at": (_typed('$.heartbeat_at', 'TIMESTAMPTZ'), "TIMESTAMPTZ"),
    "params": ("json_extract(record, '$.cli.params')", "JSON"),
    "runtime_params": ("json_extract(record, '$.runtime_params')", "JSON"),
    "env": ("json_extract(record, '$.env')", "JSON"),
    "user": (
        "to_json(map_from_entries(list_transform("
        f"list_filter(json_keys(record), lambda k: NOT list_contains([{', '.join(repr(k) for k in OWN_KEYS)}], k)), "
        "lambda k: struct_pack(key := k, value := json_extract(record, k)))))::JSON",
        "JSON",
    ),
    "record": ("record::JSON", "JSON"),
}

#: Rows per batch when a store is streamed into DuckDB.
LOAD_BATCH = 5_000


@dataclass
class QueryResult:
    """The columns of a result (names and DuckDB type names) and its rows, streamed; valid
    while :func:`run_query` has not resumed."""

    sql: str
    columns: list[str]
    types: list[str]
    _cursor: Any

    def rows(self, batch: int = 1_000) -> Iterator[tuple[Any, ...]]:
        """Stream the rows; DuckDB errors while fetching become :class:`QueryError`."""
        import duckdb

        while True:
            try:
                chunk = self._cursor.fetchmany(batch)
            except duckdb.Error as exc:
                raise QueryError(self.sql, _reason(exc)) from exc
            if not chunk:
                return
            yield from chunk


def _status_sql(now: datetime, lost_after: float | None) -> str:
    """The effective status (see :func:`session_core.history.effective_status`) in SQL; ``now``
    and the threshold are values computed here, written as literals of a fixed format."""
    threshold = (
        f"{float(lost_after)!r}"
        if lost_after is not None
        else f"{LOST_AFTER_INTERVALS} * COALESCE(NULLIF({_typed('$.heartbeat_s', 'DOUBLE')}, 0), {DEFAULT_HEARTBEAT_S!r})"
    )
    moment = now.isoformat()
    return (
        f"CASE WHEN {_text('$.status')} = '{Status.RUNNING}' AND epoch(TIMESTAMPTZ '{moment}') - "
        f"epoch({_typed('$.heartbeat_at', 'TIMESTAMPTZ')}) > {threshold} "
        f"THEN '{Status.LOST}' ELSE {_text('$.status')} END"
    )


def sessions_view_sql(source: str, now: datetime, lost_after: float | None = None) -> str:
    """``CREATE VIEW sessions`` over ``source``, a relation ``(session_id, record)``."""
    columns = ",\n  ".join(
        f"{_status_sql(now, lost_after) if name == 'status' else expression} AS {name}"
        for name, (expression, _) in SESSION_COLUMNS.items()
    )
    return (
        f"CREATE OR REPLACE TEMP VIEW sessions AS SELECT\n  {columns}\n"
        f"FROM ({source})"
    )


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never downloads or loads extensions on its own, in UTC."""
    import duckdb

    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False})
    con.execute("SET TimeZone = 'UTC'")
    return con


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT.

    Raises:
        QueryError: a syntax error (DuckDB's message says where), no statement, several
            statements, or a statement that is not a SELECT (its kind is named).
    """
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(sql, _reason(exc)) from exc
    if len(statements) != 1:
        raise QueryError(sql, f"give exactly one SELECT statement, not {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryError(
            sql, f"only SELECT is allowed (query never writes); this is a {kind.name} statement"
        )


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _load_rows(con: duckdb.DuckDBPyConnection, store: SessionStore) -> str:
    """Stream every ``(id, text)`` of ``store`` into a temporary table; return its name."""
    con.execute("CREATE TEMP TABLE stored_records (session_id VARCHAR, record VARCHAR)")
    ids: list[str] = []
    texts: list[str] = []
    for session_id, text in store.iter_raw():
        ids.append(session_id)
        texts.append(text if isinstance(text, str) else text.decode("utf-8"))
        if len(ids) >= LOAD_BATCH:
            con.execute("INSERT INTO stored_records SELECT unnest(?), unnest(?)", [ids, texts])
            ids, texts = [], []
    if ids:
        con.execute("INSERT INTO stored_records SELECT unnest(?), unnest(?)", [ids, texts])
    return "SELECT session_id, record FROM stored_records"


@contextlib.contextmanager
def sessions_relation(
    con: duckdb.DuckDBPyConnection,
    store: SessionStore,
    now: datetime | None = None,
    lost_after: float | None = None,
) -> Iterator[None]:
    """Define the view ``sessions`` of ``store`` on ``con``, valid until the block ends.

    Raises:
        StoreError: the store could not be read.
    """
    import duckdb

    with store.query_source(con) as source:
        try:
            con.execute(sessions_view_sql(source or _load_rows(con, store), now or utc_now(), lost_after))
        except duckdb.Error as exc:
            raise StoreError(store.location, "query", exc) from exc
        yield


def run_query(
    store: SessionStore,
    sql: str,
    *,
    now: datetime | None = None,
    lost_after: float | None = None,
) -> Iterator[QueryResult]:
    """Run ``sql`` over ``sessions`` of ``store``; yields one :class:`QueryResult`.

    A generator so that the store's read state (an attached file, a held turn) lasts exactly as
    long as the caller reads the rows: ``for result in run_query(...): ...``.

    Raises:
        QueryError: the statement is not one read-only SELECT, has a syntax error or names an
            unknown column or table.
        StoreError: the store could not be read.
    """
    import duckdb

    con = connect()
    try:
        check_read_only(con, sql)
        with sessions_relation(con, store, now, lost_after):
            con.execute("SET lock_configuration = true")
            try:
                cursor = con.execute(sql)
            except duckdb.Error as exc:
                if isinstance(exc, duckdb.IOException):
                    raise StoreError(store.location, "query", exc) from exc
                raise QueryError(sql, _reason(exc)) from exc
            description = cursor.description or []
            yield QueryResult(sql, [d[0] for d in description], [str(d[1]) for d in description], cursor)
    finally:
        con.close()
