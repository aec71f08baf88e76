"""PostgreSQL store: the team's shared run history on one database server, through psycopg 3.

Layout (format version 1), in schema ``schema`` (default ``public``)::

    sessions(id TEXT COLLATE "C" PRIMARY KEY,   -- "C": ids sort as Python sorts them
             record JSON NOT NULL,               -- the record's exact JSON text
             status TEXT, started_at TEXT, branch TEXT)  -- generated from record, indexed
    sessions_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)  -- 'format_version' -> '1'

The record column is ``JSON``, not ``JSONB``: JSONB would reorder keys, turn ``1e300`` into an
integer and refuse ``\\u0000``, so a record would not come back equal with the same types. The
columns that ``list`` and ``query`` filter on are generated from it by the server and indexed;
``record::jsonb`` serves any other filter.

Where the store is: a URL ``postgresql://user@host:port/db`` (also ``postgres://``), optionally
with a schema as one more path segment (``postgresql://host/db/team``), a libpq keyword string
(``host=... dbname=...``), or ``postgresql://`` alone, which takes everything from libpq's
``PG*`` environment variables and service file. Options: ``schema``, ``table``,
``connect_timeout``, ``sslmode``, ``password``.

How it keeps the contracts:

* A save is one autocommitted ``INSERT ... ON CONFLICT DO UPDATE`` (atomic, durable once it
  returns; a client killed mid-statement leaves the old record). A batch is one autocommitted
  ``COPY`` straight into the table when its ids are new, else one transaction that copies it
  into a temporary table and upserts from there; rows go in id order so that two batches never
  deadlock.
* Opening a store connects and reads nothing: the first operation checks the format version
  in its own round trip. A save is one upsert that inserts only from the meta row holding this
  code's version (:meth:`PostgresStore._upsert`); any other first operation is pipelined behind
  a statement that fails unless the version is this code's, so the server skips the operation
  when it is not (:meth:`PostgresStore._checked`). A single save costs a connection and one
  round trip, as a plain upsert does. An open that no operation follows checks the version at
  close. A reader (``create=False``) checks at open.
* Schema creation takes a transaction-scoped advisory lock, so several processes and machines
  opening a fresh database at once create it once, without unique-violation races.
* Listing and ``iter_records`` stream one statement's rows in chunks (a filtered read: a
  server-side cursor) on a reader connection of their own: memory stays flat and saves made
  during a listing commit at once.
* A dropped connection (server restart, idle timeout) is reconnected once per operation; a server
  that is down becomes :class:`~session_core.errors.StoreError` naming host and database, so a
  run spools its record. Passwords (URL, ``password=``, ``PGPASSWORD``) are scrubbed from every
  error and never part of :attr:`location`.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from session_core.conditions import Condition, render_where
from session_core.errors import ConfigError, FormatVersionError, StoreNotFound
from session_core.redact import REDACTED
from session_core.store import Capabilities, SessionStore

logger = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_SCHEMA = "public"
DEFAULT_TABLE = "sessions"
#: PostgreSQL truncates longer identifiers silently, which could make two names one.
MAX_IDENTIFIER_BYTES = 63
#: The per-connection temporary table a batch is copied into before its upsert.
BATCH_TABLE = "session_core_batch"
#: Rows per round trip of a listing cursor.
FETCH_ROWS = 2_000
#: The record as the generated columns read it: PostgreSQL cannot extract a field from JSON
#: holding the escape ``\u0000`` anywhere, so that escape is read as U+FFFD there (only there).
_EXTRACTABLE = r"replace(record::text, '\u0000', '\ufffd')::json"
#: Columns generated from the record, each indexed: what ``list`` and ``query`` filter on.
INDEXED_COLUMNS = {
    "status": f"{_EXTRACTABLE} ->> 'status'",
    "started_at": f"{_EXTRACTABLE} ->> 'started_at'",
    "branch": f"{_EXTRACTABLE} -> 'git' ->> 'branch'",
}
T = TypeVar("T")


class PostgresStore(SessionStore):
    """Sessions in one PostgreSQL table, shared by every machine that can reach the server.

    Options:
        schema: the schema holding the tables (default ``public``; created when missing).
        table: the sessions table (default ``sessions``; its meta table is ``<table>_meta``).
        connect_timeout: seconds to wait for the server before :class:`StoreError`.
        sslmode: libpq's ``sslmode`` (``disable``, ``require``, ``verify-full``, ...).
        password: the role's password (prefer ``PGPASSWORD`` or a ``.pgpass`` file).

    Raises:
        ConfigError: a path that is not a PostgreSQL URL or connection string, a bad name.
        StoreError: the server is unreachable or refused us (names host and database).
    """

    capabilities = Capabilities(shared=True)
    #: a batch costs a few round trips and, for new ids, one COPY: fewer, larger batches
    BATCH_SIZE = 10_000

    def _setup(
        self,
        path: Any,
        schema: str | None = None,
        table: str = DEFAULT_TABLE,
        connect_timeout: float = 10,
        sslmode: str | None = None,
        password: str | None = None,
    ) -> None:
        conninfo, url_schema = _conninfo(path)
        if url_schema is not None and schema is not None and url_schema != schema:
            raise ConfigError("schema", schema, f"the URL names schema {url_schema!r}; give it once")
        self._schema = _identifier("schema", schema or url_schema or DEFAULT_SCHEMA)
        self._table = _identifier("table", table)
        self._secrets = _secrets(path if isinstance(path, str) else "", password)
        try:  # libpq quotes a malformed URL whole in its error
            self._conninfo = _full_conninfo(conninfo, max(1, round(float(connect_timeout))), sslmode, password)
        except psycopg.Error as exc:
            raise self._scrubbed(exc) from None
        self._where: str | None = None  # worked out when first shown: it reads libpq's defaults
        self._sql = statements(self._schema, self._table)
        self._idle: list[psycopg.Connection[Any]] = []
        self._pid = os.getpid()
        #: the stored format version once read (see :meth:`_checked`); ``None`` until then
        self._version: int | None = None
        #: no operation has run since the open: :meth:`_close` checks the version then
        self._unchecked = True
        if self.may_create:  # the first operation checks the version, in the same round trip
            self._give_back(self._connect())
        else:  # a reader (list, show, query...): a missing store is said at open, nothing created
            self._run(self._ensure_version)

    # ------------------------------------------------------------------ connections

    def _connect(self) -> psycopg.Connection[Any]:
        """A new autocommit connection; the error names no password."""
        try:
            return psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise self._scrubbed(exc) from None

    def _borrow(self) -> psycopg.Connection[Any]:
        """An idle connection of this instance, or a new one.

        Usually there is one; a listing keeps its connection until it ends, so an operation
        made while a listing runs (or a nested listing) opens another, kept for later use.
        """
        self._unchecked = False
        if self._pid != os.getpid():  # connections inherited through fork are the parent's
            self._idle, self._pid = [], os.getpid()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        return self._connect()

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if self._closed or conn.broken or not idle or self._pid != os.getpid():
            conn.close()
        else:
            self._idle.append(conn)

    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run ``work`` on a connection, reconnecting once when the connection was dropped."""
        conn = self._borrow()
        try:
            try:
                return work(conn)
            except psycopg.OperationalError as exc:
                if not (conn.broken or conn.closed):
                    raise
                logger.warning("store %s: connection lost (%s), reconnecting once", self.location, self._clean(exc))
                conn.close()
                conn = self._connect()
                return work(conn)
        except psycopg.Error as exc:
            raise self._scrubbed(exc) from None
        finally:
            self._give_back(conn)

    def _scrubbed(self, exc: psycopg.Error) -> psycopg.Error:
        """``exc`` itself, or the same error type without a password in its text."""
        text = str(exc)
        if not any(secret in text for secret in self._secrets):
            return exc
        return type(exc)(self._clean(exc))

    def _clean(self, exc: BaseException) -> str:
        text = str(exc)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    # ------------------------------------------------------------------ format version and schema

    def _execute(self, statement: sql.Composed, parameters: Sequence[Any]) -> psycopg.Cursor[Any]:
        """Run one statement and return its cursor, results in hand."""
        return self._run(lambda conn: self._checked(conn, statement, parameters))

    def _checked(self, conn: psycopg.Connection[Any], statement: sql.Composed, parameters: Sequence[Any]) -> psycopg.Cursor[Any]:
        """``statement``, preceded on the store's first operation by the format version check.

        Opening reads nothing: the first statement goes in one pipeline behind
        :attr:`Statements.check_version`, a statement that fails unless the stored version is
        this code's, so the server skips the statement behind it (both run in the implicit
        transaction that ends at the pipeline's sync). A single save then costs what a plain
        upsert costs: connect and one round trip. When the check fails (another version, or no
        store yet) nothing of the statement ran: :meth:`_ensure_version` says why or creates the
        store, then the statement runs alone.
        """
        if self._version is None and _pipeline_supported():
            try:
                with conn.pipeline():
                    conn.execute(self._sql.check_version, [str(self.FORMAT_VERSION)])
                    cursor = conn.execute(statement, parameters)
            except (psycopg.errors.DivisionByZero, psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                logger.debug("store %s: the first statement waits for the format version", self.location)
            else:
                self._version = self.FORMAT_VERSION
                return cursor
        self._ensure_version(conn)
        return conn.execute(statement, parameters)

    def _ensure_version(self, conn: psycopg.Connection[Any]) -> None:
        """Read the stored format version unless known: create the store when there is none
        (a writer), else raise.

        Raises:
            FormatVersionError: the store holds another format version (every later call too).
            StoreNotFound: no store here and this instance is a reader.
        """
        if self._version is None:
            found = self._read_version(conn)
            if found is None:
                if not self.may_create:  # a reader (list, show, query...): the database stays as it is
                    raise StoreNotFound(self.location)
                found = self._create_schema(conn)
            self._version = found
        if self._version != self.FORMAT_VERSION:
            raise FormatVersionError(self.location, self._version, self.FORMAT_VERSION)

    def _read_version(self, conn: psycopg.Connection[Any]) -> int | None:
        """The stored format version; ``None`` when the tables are not there yet."""
        try:
            row = conn.execute(self._sql.read_version).fetchone()
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
            return None
        return None if row is None else int(row[0])

    def _create_schema(self, conn: psycopg.Connection[Any]) -> int:
        """Create schema, tables and indexes once, however many processes try at the same time.

        ``CREATE SCHEMA`` runs only when the schema is missing: it needs the database's CREATE
        privilege even with ``IF NOT EXISTS``, which a role given only its own schema lacks.
        """
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"session_core:{self._schema}.{self._table}"])
            exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [self._schema]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self._schema)))
            for statement in self._sql.create:
                conn.execute(statement)
            conn.execute(self._sql.init_version, [str(self.FORMAT_VERSION)])
            version = self._read_version(conn)
        assert version is not None
        return version

    def _location(self) -> str:
        if self._where is None:
            self._where = _describe(self._conninfo)
        return f"{self._where}/{self._schema}.{self._table}"

    def _format_version_at_open(self) -> int | None:
        """``None`` for a writer: its first operation checks the version (:meth:`_checked`)."""
        return self._version

    def _stored_format_version(self) -> int | None:
        if self._version is None:
            self._run(self._ensure_version)
        return self._version

    # ------------------------------------------------------------------ primitives

    def _get(self, session_id: str) -> str | None:
        row = self._execute(self._sql.get, [session_id]).fetchone()
        return None if row is None else row[0]

    def _put(self, session_id: str, text: str) -> None:
        self._run(lambda conn: self._upsert(conn, session_id, text))

    def _upsert(self, conn: psycopg.Connection[Any], session_id: str, text: str) -> None:
        """The save's upsert. As the store's first operation it is one statement that also
        checks the format version (:attr:`Statements.put_checked` inserts from the meta row that
        holds this code's version, so it writes nothing into a store of another version): the
        server plans it for less than the pipelined check of :meth:`_checked`, whose aggregate
        and division a fresh server process must first look up (about 0.3 ms measured here).
        """
        if self._version is None:
            try:
                written = conn.execute(self._sql.put_checked, [session_id, text, str(self.FORMAT_VERSION)]).rowcount
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                written = 0  # no store yet: nothing was written
            if written:
                self._version = self.FORMAT_VERSION
                return
        self._ensure_version(conn)
        conn.execute(self._sql.put, [session_id, text])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        latest = dict(items)  # one row may be updated once per statement: the last write wins
        rows = sorted(latest.items())  # the same lock order in every process: no deadlock
        self._run(lambda conn: (self._ensure_version(conn), self._copy_upsert(conn, rows)))

    def _copy_upsert(self, conn: psycopg.Connection[Any], rows: list[tuple[str, str]]) -> None:
        """``COPY`` the batch straight into the table when none of its ids is stored yet (a
        migration, a first import), else ``COPY`` it into a temporary table and upsert from there
        in one statement, in one transaction.

        The straight ``COPY`` is one autocommitted statement, so all of it lands or none, without
        the three round trips of ``BEGIN``, a savepoint and ``COMMIT``. Measured here at 10,000 records: the straight ``COPY`` about
        0.3 s of server time, the upsert from a temporary table about 1.5 s, one
        ``INSERT ... SELECT FROM unnest(%s, %s)`` of two arrays 15 s (the server parses the array
        literals).
        """
        try:
            with conn.cursor().copy(self._sql.copy_new) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        except psycopg.errors.UniqueViolation:
            logger.debug("store %s: batch meets stored ids, upserting it", self.location)
        with conn.transaction():
            conn.execute(self._sql.create_batch)
            with conn.cursor().copy(self._sql.copy_batch) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.execute(self._sql.upsert_batch)

    def _delete(self, session_id: str) -> bool:
        return self._execute(self._sql.delete, [session_id]).rowcount > 0

    def _iter_ids(self) -> Iterator[str]:
        for (session_id,) in self._stream(self._sql.ids, whole=True):
            yield session_id

    def _iter_items(self) -> Iterator[tuple[str, str]]:
        yield from self._stream(self._sql.items, whole=True)

    def _iter_items_where(
        self, conditions: Sequence[Condition], newest_first: bool
    ) -> Iterator[tuple[str, str]]:
        """The conditions as a server-side WHERE, streamed by id in either direction. A condition
        on ``status``, ``started_at`` or ``git.branch`` compares the indexed generated column;
        one on the session id, the primary key (keyset pages). The ``json`` column holds only
        valid JSON, so no row is unreadable to the server."""
        where, parameters = render_where(
            conditions, _extract, key="id", placeholder="%s",
            contains=lambda text, part: f"strpos({text}, {part}) > 0",
        )
        query = self._sql.items_where + sql.SQL(where) + sql.SQL(" ORDER BY id DESC" if newest_first else " ORDER BY id")
        return self._stream(query, parameters)

    def _stream(
        self, query: sql.Composed, parameters: Sequence[str] = (), whole: bool = False
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of ``query``, :data:`FETCH_ROWS` at a time, on a borrowed connection.

        A listing read ``whole`` (every id, every record) is one statement whose rows the server
        sends in chunks as fast as this process takes them (libpq 17's chunked rows): the server
        reads on while this process decodes, where a cursor would wait for each ``FETCH``.
        Abandoning it early costs a cancel request, so a filtered read, which ``list`` and the
        run browser stop after a page, goes through a server-side cursor in a transaction (as
        does every read on an older libpq).
        """
        conn = self._borrow()
        try:
            self._ensure_version(conn)
            if whole and _chunked_rows_supported():
                yield from conn.cursor().stream(query, parameters, size=FETCH_ROWS)
                return
            with conn.transaction(), conn.cursor(name="session_core_listing") as cursor:
                cursor.execute(query, parameters)
                while rows := cursor.fetchmany(FETCH_ROWS):
                    yield from rows
        except psycopg.Error as exc:
            raise self._scrubbed(exc) from None
        finally:  # an abandoned read was cancelled or rolled back above; the connection is reusable
            self._give_back(conn)

    def _close(self) -> None:
        """Close every connection; an open that no operation followed checks the format version
        first (and a writer creates the store), as opening does for the other stores."""
        try:
            if self._unchecked:
                self._run(self._ensure_version)
        finally:
            idle, self._idle = self._idle, []
            if self._pid == os.getpid():
                for conn in idle:
                    conn.close()


@functools.cache
def _pipeline_supported() -> bool:
    """Whether this libpq has pipeline mode (14 and newer; psycopg's binary wheels do)."""
    return psycopg.Pipeline.is_supported()


@functools.cache
def _chunked_rows_supported() -> bool:
    """Whether this libpq sends a result in chunks of rows (17 and newer; psycopg's binary
    wheels do)."""
    return psycopg.pq.version() >= 170000


@functools.lru_cache(maxsize=64)
def statements(schema: str, table: str) -> Statements:
    """The statements of the table ``schema.table``, composed once per process: composing them
    costs about as much as a round trip to a local server, which every open would pay."""
    return Statements(schema, table)


class Statements:
    """Every statement of one store, composed with its quoted schema and table names."""

    def __init__(self, schema: str, table: str) -> None:
        sessions = sql.Identifier(schema, table)
        meta = sql.Identifier(schema, f"{table}_meta")
        generated = sql.SQL(", ").join(
            sql.SQL("{} TEXT GENERATED ALWAYS AS ({}) STORED").format(sql.Identifier(name), sql.SQL(expression))
            for name, expression in INDEXED_COLUMNS.items()
        )
        self.create = [
            sql.SQL(
                'CREATE TABLE IF NOT EXISTS {} (id TEXT COLLATE "C" PRIMARY KEY, record JSON NOT NULL, {})'
            ).format(sessions, generated),
            *(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                    sql.Identifier(f"{table}_{name}_idx"), sessions, sql.Identifier(name)
                )
                for name in INDEXED_COLUMNS
            ),
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (key TEXT PRIMARY KEY, value TEXT NOT NULL)").format(meta),
        ]
        self.init_version = sql.SQL(
            "INSERT INTO {} VALUES ('format_version', %s) ON CONFLICT (key) DO NOTHING"
        ).format(meta)
        self.read_version = sql.SQL("SELECT value FROM {} WHERE key = 'format_version'").format(meta)
        #: fails (division by zero) unless the stored format version is the one bound
        self.check_version = sql.SQL(
            "SELECT 1 / count(*)::int FROM {} WHERE key = 'format_version' AND value = %s"
        ).format(meta)
        self.get = sql.SQL("SELECT record::text FROM {} WHERE id = %s").format(sessions)
        self.put = sql.SQL(
            "INSERT INTO {} (id, record) VALUES (%s, %s::json) "
            "ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record"
        ).format(sessions)
        self.put_checked = sql.SQL(
            "INSERT INTO {} (id, record) SELECT %s, %s::json FROM {} WHERE key = 'format_version' AND value = %s "
            "ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record"
        ).format(sessions, meta)
        self.create_batch = sql.SQL(
            'CREATE TEMPORARY TABLE IF NOT EXISTS {} (id TEXT COLLATE "C", record TEXT) ON COMMIT DELETE ROWS'
        ).format(sql.Identifier(BATCH_TABLE))
        self.copy_new = sql.SQL("COPY {} (id, record) FROM STDIN").format(sessions)
        self.copy_batch = sql.SQL("COPY {} (id, record) FROM STDIN").format(sql.Identifier(BATCH_TABLE))
        self.upsert_batch = sql.SQL(
            "INSERT INTO {} (id, record) SELECT id, record::json FROM {} ORDER BY id "
            "ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record"
        ).format(sessions, sql.Identifier(BATCH_TABLE))
        self.delete = sql.SQL("DELETE FROM {} WHERE id = %s").format(sessions)
        self.ids = sql.SQL("SELECT id FROM {} ORDER BY id").format(sessions)
        self.items = sql.SQL("SELECT id, record::text FROM {} ORDER BY id").format(sessions)
        self.items_where = sql.SQL("SELECT id, record::text FROM {} WHERE ").format(sessions)


#: JSON path (as :func:`~session_core.conditions.render_where` writes it) -> generated column.
_INDEXED_PATHS = {"'$.status'": "status", "'$.started_at'": "started_at", "'$.git.branch'": "branch"}


def _extract(path: str) -> str:
    """SQL for the text at ``path``: an indexed generated column where one holds it, else the
    server's JSON functions (a plain dotted path, or a bound path given as ``%s``)."""
    if path in _INDEXED_PATHS:
        return _INDEXED_PATHS[path]
    if path == "%s":
        return f"(jsonb_path_query_first(({_EXTRACTABLE})::jsonb, %s::jsonpath) #>> ARRAY[]::text[])"
    keys = ", ".join(f"'{key}'" for key in path.strip("'").split(".")[1:])  # plain identifiers only
    return f"json_extract_path_text({_EXTRACTABLE}, {keys})"


@functools.lru_cache(maxsize=64)
def _full_conninfo(conninfo: str, connect_timeout: int, sslmode: str | None, password: str | None) -> str:
    """libpq's connection string with the store's options, parsed and rebuilt once per process
    (libpq's parser costs about a quarter of a millisecond).

    Raises:
        psycopg.Error: libpq cannot parse ``conninfo`` (its text may quote a password).
    """
    extra = {"connect_timeout": connect_timeout, "sslmode": sslmode, "password": password}
    return make_conninfo(conninfo, **{key: value for key, value in extra.items() if value is not None})


def _conninfo(path: Any) -> tuple[str, str | None]:
    """libpq's connection string for ``path``, and the schema named as a second path segment.

    Raises:
        ConfigError: ``path`` is neither a PostgreSQL URL nor a libpq keyword string.
    """
    if path is None or path == "":
        return "", None
    if not isinstance(path, str):
        raise ConfigError("path", type(path).__name__, "PostgresStore takes a postgresql:// URL or a libpq string")
    if path.startswith(URL_SCHEMES):
        parts = urlsplit(path)
        database, _, schema = parts.path.lstrip("/").partition("/")
        if "/" in schema:
            raise ConfigError("path", _redacted(path), "write postgresql://user@host:port/database[/schema]")
        url = urlunsplit((parts.scheme, parts.netloc, f"/{database}" if database else "", parts.query, ""))
        return url, unquote(schema) or None
    if "=" in path:
        return path, None
    raise ConfigError(
        "path", path, "PostgresStore needs postgresql://user@host:port/database, a libpq string "
        "(host=... dbname=...), or postgresql:// alone to use the PG* environment variables",
    )


def _identifier(setting: str, name: Any) -> str:
    if not isinstance(name, str) or not name or len(name.encode()) > MAX_IDENTIFIER_BYTES or "\x00" in name:
        raise ConfigError(setting, name, f"a PostgreSQL name of 1 to {MAX_IDENTIFIER_BYTES} bytes")
    return name


def _secrets(path: str, password: str | None) -> list[str]:
    """Every password this store may send: in the URL, the option or ``PGPASSWORD``."""
    in_url = urlsplit(path).password if path.startswith(URL_SCHEMES) else None
    if in_url is None and "=" in path and "://" not in path:
        in_url = _keyword_password(path)
    found = [in_url, unquote(in_url) if in_url else None, password, os.environ.get("PGPASSWORD")]
    return [str(secret) for secret in found if secret]


def _keyword_password(conninfo: str) -> str | None:
    try:
        return conninfo_to_dict(conninfo).get("password")
    except psycopg.Error:
        return None


def _describe(conninfo: str) -> str:
    """``postgresql://host:port/database`` as libpq will resolve it (environment included)."""
    params = conninfo_to_dict(conninfo)
    if "service" in params and "host" not in params:
        return f"postgresql://?service={params['service']}"
    defaults = {option.keyword.decode(): option.val for option in psycopg.pq.Conninfo.get_defaults()}

    def value(key: str, fallback: str) -> str:
        found = params.get(key) or defaults.get(key)
        return found.decode() if isinstance(found, bytes) else str(found or fallback)

    host = value("host", "localhost")
    port = value("port", "5432")
    database = value("dbname", value("user", os.environ.get("USER", "")))
    if host.startswith("/"):
        return f"postgresql:///{database}?host={host}&port={port}"
    return f"postgresql://{host}:{port}/{database}"


def _redacted(url: str) -> str:
    from session_core.redact import redact_url

    return redact_url(url)
