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
attaches its file read-only, the JSON store reads its files with DuckDB's ``read_text``). A
store without the hook is streamed through its ``_iter_items``, in batches, without decoding the
records in Python.

Each record is parsed once, by DuckDB, for only the fields the statement names (its own parse of
the statement says which, :func:`referenced_columns`), into a temporary in-memory table that the
view ``sessions`` types; the statement then runs over that table. A stored record that is not a
JSON object is left out of ``sessions`` and reported (``query`` names it on stderr and exits 3).

Only one ``SELECT`` statement is run (``DESCRIBE`` and ``SUMMARIZE`` are selects too); a statement
that writes, attaches, copies, installs or sets anything is refused with :class:`QueryError`,
and so is a syntax error or an unknown column (DuckDB's message names it). Extension
auto-install and auto-load are off and the configuration is locked before the user's SQL runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import CorruptRecord, QueryError, SessionCoreError, StoreError
from .kinds import Status
from .record import DEFAULT_HEARTBEAT_S, LOST_AFTER_INTERVALS
from .history import utc_now

if TYPE_CHECKING:
    import duckdb

    from .store import OnBadRecord, SessionStore

logger = logging.getLogger(__name__)

#: Top-level record keys the session core owns; the others are the user's (column ``user``).
OWN_KEYS = (
    "record_version", "session_id", "project_path", "package_name", "username", "host", "cli",
    "git", "env", "runtime_params", "exception", "status", "started_at", "ended_at",
    "duration_s", "exit_code", "heartbeat_at", "heartbeat_s", "stderr_tail",
)

#: Columns holding a record's scalar field: name -> (JSON path, SQL type).
SCALAR_COLUMNS: dict[str, tuple[str, str]] = {
    "stored_status": ("$.status", "VARCHAR"),
    "started_at": ("$.started_at", "TIMESTAMPTZ"),
    "ended_at": ("$.ended_at", "TIMESTAMPTZ"),
    "duration_s": ("$.duration_s", "DOUBLE"),
    "exit_code": ("$.exit_code", "BIGINT"),
    "branch": ("$.git.branch", "VARCHAR"),
    "commit_sha": ("$.git.commit_sha", "VARCHAR"),
    "dirty": ("$.git.dirty", "BOOLEAN"),
    "command": ("$.cli.command_path", "VARCHAR"),
    "package_name": ("$.package_name", "VARCHAR"),
    "project_path": ("$.project_path", "VARCHAR"),
    "host": ("$.host", "VARCHAR"),
    "username": ("$.username", "VARCHAR"),
    "heartbeat_at": ("$.heartbeat_at", "TIMESTAMPTZ"),
}
#: Columns holding JSON, computed from the whole record text: name -> SQL over ``record``.
JSON_COLUMNS: dict[str, str] = {
    "params": "json_extract(record, '$.cli.params')",
    "runtime_params": "json_extract(record, '$.runtime_params')",
    "env": "json_extract(record, '$.env')",
    "user": (
        "to_json(map_from_entries(list_transform("
        f"list_filter(json_keys(record), lambda k: NOT list_contains([{', '.join(repr(k) for k in OWN_KEYS)}], k)), "
        "lambda k: struct_pack(key := k, value := json_extract(record, k)))))::JSON"
    ),
    "record": "record::JSON",
}
#: The columns of ``sessions``, in order, with their SQL types.
SESSION_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "status": "VARCHAR",
    **{name: sql_type for name, (_, sql_type) in SCALAR_COLUMNS.items()},
    **{name: "JSON" for name in JSON_COLUMNS},
}
#: The fields the effective ``status`` is computed from.
STATUS_FIELDS = ("$.status", "$.heartbeat_at", "$.heartbeat_s")
#: Records per statement when a store is streamed into DuckDB.
LOAD_BATCH = 10_000
#: The relation the extracted fields are kept in while a query runs (see :func:`extract_sql`).
FIELDS_TABLE = "session_fields"
#: Node kinds of DuckDB's serialized statement (``json_serialize_sql``) whose column references
#: are all explicit; anything else (``DESCRIBE``, a table function, ``PIVOT``...) may use
#: columns no reference names, so every column is read.
_PLAIN_NODES = frozenset({
    "SELECT_NODE", "SET_OPERATION_NODE", "CTE_NODE", "RECURSIVE_CTE_NODE", "BASE_TABLE", "JOIN",
    "SUBQUERY", "EMPTY", "ORDER_MODIFIER", "LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER",
    "DISTINCT_MODIFIER", "ORDER_DEFAULT", "ASCENDING", "DESCENDING",
})
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


def referenced_columns(con: duckdb.DuckDBPyConnection, sql: str) -> frozenset[str] | None:
    """The columns of ``sessions`` that ``sql`` names, from DuckDB's own parse of it; ``None``
    when it may use columns without naming them (``*``, ``COLUMNS(...)``, a positional
    reference, ``NATURAL``/``USING`` joins, a whole-row reference or a name that is not a column,
    ``DESCRIBE``, a table function) or could not be parsed: then every column is read.

    A column not in the answer is given to the statement as NULL, so the answer must be a
    superset: every rule above errs towards "every column".
    """
    import duckdb

    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    except (duckdb.Error, TypeError, ValueError):
        return None
    if tree.get("error"):
        return None
    found: set[str] = set()
    pending: list[Any] = [tree["statements"]]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("class")
        if kind in ("STAR", "POSITIONAL_REFERENCE"):
            return None
        if kind == "COLUMN_REF":
            names = [str(name).lower() for name in node.get("column_names", [])]
            if len(names) == 1 and names[0] not in SESSION_COLUMNS:
                return None  # a whole-row reference, an alias or a lambda's parameter
            found.update(name for name in names if name in SESSION_COLUMNS)
        elif kind is None and "type" in node:
            if node["type"] not in _PLAIN_NODES:
                return None
            if node["type"] == "JOIN" and (node.get("ref_type") != "REGULAR" or node.get("using_columns")):
                return None
        pending.extend(node.values())
    return frozenset(found)


def extract_sql(source: str, paths: list[str], keep_record: bool) -> str:
    """``(session_id, f, readable[, record])`` of ``source``, a relation ``(session_id, record)``.

    Each record is parsed once: ``f`` holds the text at each of ``paths`` (NULL where absent),
    ``readable`` says the record is a JSON object (``f`` is NULL when it is not JSON at all), and
    ``record`` is kept (NULL when unreadable) only when a JSON column is wanted.
    """
    listed = "[" + ", ".join(f"'{path}'" for path in paths) + "]"
    readable = "f IS NOT NULL AND regexp_matches(record, '^\\s*\\{')"
    return (
        f"SELECT session_id, f, {readable} AS readable"
        + (f", CASE WHEN {readable} THEN record END AS record" if keep_record else "")
        + f" FROM (SELECT session_id, record, TRY(json_extract_string(record, {listed})) AS f FROM ({source}))"
    )


@dataclass(frozen=True)
class Extraction:
    """Which fields a query reads: the JSON paths parsed out of every record (``paths``, in
    the order of ``f``) and whether the whole record is kept (a JSON column is wanted)."""

    paths: list[str]
    keep_record: bool

    @classmethod
    def of(cls, columns: frozenset[str] | None) -> Extraction:
        """The extraction serving ``columns`` (``None``: every column)."""
        wanted = set(SESSION_COLUMNS) if columns is None else set(columns)
        paths = list(STATUS_FIELDS)  # always parsed: the parse is what tells a record is readable
        paths += [path for name, (path, _) in SCALAR_COLUMNS.items() if name in wanted and path not in paths]
        return cls(paths, bool(wanted & set(JSON_COLUMNS)))

    def field(self, path: str) -> str:
        """SQL for the text at ``path`` (one of :attr:`paths`)."""
        return f"f[{self.paths.index(path) + 1}]"

    def view_sql(self, columns: frozenset[str] | None, now: datetime, lost_after: float | None) -> str:
        """``CREATE VIEW sessions`` over :data:`FIELDS_TABLE`: every column of
        :data:`SESSION_COLUMNS`, typed; a column outside ``columns`` is NULL."""
        wanted = set(SESSION_COLUMNS) if columns is None else set(columns) | {"id"}
        expressions = {"id": "session_id", "status": self._status_sql(now, lost_after)}
        for name, (path, sql_type) in SCALAR_COLUMNS.items():
            if path in self.paths:
                text = self.field(path)
                expressions[name] = text if sql_type == "VARCHAR" else f"TRY_CAST({text} AS {sql_type})"
        if self.keep_record:
            expressions.update(JSON_COLUMNS)
        listed = ",\n  ".join(
            f"{expressions[name] if name in wanted and name in expressions else f'NULL::{sql_type}'} AS {name}"
            for name, sql_type in SESSION_COLUMNS.items()
        )
        return f"CREATE OR REPLACE TEMP VIEW sessions AS SELECT\n  {listed}\nFROM {FIELDS_TABLE} WHERE readable"

    def _status_sql(self, now: datetime, lost_after: float | None) -> str:
        """The effective status (see :func:`session_core.history.effective_status`) in SQL;
        ``now`` and the threshold are values computed here, written as literals."""
        status, beat, interval = (self.field(path) for path in STATUS_FIELDS)
        threshold = (
            f"{float(lost_after)!r}"
            if lost_after is not None
            else f"{LOST_AFTER_INTERVALS} * COALESCE(NULLIF(TRY_CAST({interval} AS DOUBLE), 0), {DEFAULT_HEARTBEAT_S!r})"
        )
        return (
            f"CASE WHEN {status} = '{Status.RUNNING}' AND epoch(TIMESTAMPTZ '{now.isoformat()}') - "
            f"epoch(TRY_CAST({beat} AS TIMESTAMPTZ)) > {threshold} "
            f"THEN '{Status.LOST}' ELSE {status} END"
        )


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never downloads or loads extensions on its own, in UTC, and
    never draws its progress bar (a long query would print it: library code never prints)."""
    import duckdb

    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar_print = false")
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


def _create_fields(con: duckdb.DuckDBPyConnection, extraction: Extraction, source: str) -> None:
    """Fill :data:`FIELDS_TABLE` from ``source``, a relation ``(session_id, record)``.

    Rows may land in any order (a statement without ``ORDER BY`` has none): keeping the
    source's order made DuckDB read a JSON folder's files three times slower, measured here.
    """
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(f"CREATE TEMP TABLE {FIELDS_TABLE} AS {extract_sql(source, extraction.paths, extraction.keep_record)}")
    finally:
        con.execute("RESET preserve_insertion_order")


def _stream_fields(
    con: duckdb.DuckDBPyConnection, extraction: Extraction, store: SessionStore, on_error: OnBadRecord
) -> None:
    """Fill :data:`FIELDS_TABLE` from the store's stream, :data:`LOAD_BATCH` records per
    statement; only the extracted fields (and the record, when kept) stay in DuckDB. A text
    that is not UTF-8 goes to ``on_error`` at once."""
    batch = "SELECT unnest(?::VARCHAR[]) AS session_id, unnest(?::VARCHAR[]) AS record"
    insert = f"INSERT INTO {FIELDS_TABLE} {extract_sql(batch, extraction.paths, extraction.keep_record)}"
    record = ", record VARCHAR" if extraction.keep_record else ""
    con.execute(f"CREATE TEMP TABLE {FIELDS_TABLE} (session_id VARCHAR, f VARCHAR[], readable BOOLEAN{record})")
    ids: list[str] = []
    texts: list[str] = []
    for session_id, text in store.iter_raw():
        if not isinstance(text, str):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                on_error(session_id, CorruptRecord(store.location, session_id, exc))
                continue
        ids.append(session_id)
        texts.append(text)
        if len(ids) >= LOAD_BATCH:
            con.execute(insert, [ids, texts])
            ids, texts = [], []
    if ids:
        con.execute(insert, [ids, texts])


def _report_unreadable(con: duckdb.DuckDBPyConnection, store: SessionStore, on_error: OnBadRecord) -> None:
    """Tell ``on_error`` of every stored record that is not a JSON object, in id order."""
    for session_id, is_json in con.execute(
        f"SELECT session_id, f IS NOT NULL FROM {FIELDS_TABLE} WHERE NOT readable ORDER BY session_id"
    ).fetchall():
        reason = "not a JSON object" if is_json else "not valid JSON"
        on_error(session_id, CorruptRecord(store.location, session_id, reason))


def _raise_first(session_id: str, error: SessionCoreError) -> None:
    raise error


@contextlib.contextmanager
def sessions_relation(
    con: duckdb.DuckDBPyConnection,
    store: SessionStore,
    now: datetime | None = None,
    lost_after: float | None = None,
    *,
    columns: frozenset[str] | None = None,
    on_error: OnBadRecord | None = None,
) -> Iterator[None]:
    """Define the view ``sessions`` of ``store`` on ``con``, valid until the block ends.

    Every record is parsed once, for the fields ``columns`` need (``None``: all; the others
    read NULL), into a temporary table of ``con`` (in memory; nothing is written). A record
    that is not a JSON object is left out and reported through ``on_error`` (without it, the
    first one raises :class:`CorruptRecord`).

    Raises:
        StoreError: the store could not be read; CorruptRecord, see above.
    """
    import duckdb

    report = on_error or _raise_first
    extraction = Extraction.of(columns)
    with store.query_source(con) as source:
        try:
            if source is None:
                _stream_fields(con, extraction, store, report)
            else:
                _create_fields(con, extraction, source)
            _report_unreadable(con, store, report)
            con.execute(extraction.view_sql(columns, now or utc_now(), lost_after))
        except duckdb.Error as exc:
            raise StoreError(store.location, "query", exc) from exc
        yield


def run_query(
    store: SessionStore,
    sql: str,
    *,
    now: datetime | None = None,
    lost_after: float | None = None,
    on_error: OnBadRecord | None = None,
) -> Iterator[QueryResult]:
    """Run ``sql`` over ``sessions`` of ``store``; yields one :class:`QueryResult`.

    A generator so that the store's read state (an attached file, a held turn) lasts exactly as
    long as the caller reads the rows: ``for result in run_query(...): ...``. Only the columns
    ``sql`` names are extracted from the records (:func:`referenced_columns`). A record that is
    not a JSON object is left out and told to ``on_error(session_id, error)`` before any row
    comes; without ``on_error`` it raises :class:`CorruptRecord`.

    Raises:
        QueryError: the statement is not one read-only SELECT, has a syntax error or names an
            unknown column or table.
        StoreError: the store could not be read (CorruptRecord, see above).
    """
    import duckdb

    con = connect()
    try:
        check_read_only(con, sql)
        columns = referenced_columns(con, sql)
        with sessions_relation(con, store, now, lost_after, columns=columns, on_error=on_error):
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
