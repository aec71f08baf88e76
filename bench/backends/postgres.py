"""PostgreSQL: the toolkit's PostgresStore beside raw psycopg on the same server, same table.

The server is ``$SESSION_CORE_BENCH_POSTGRES`` (a ``postgresql://`` URL of a database the bench
may create schemas in), else a throwaway server on 127.0.0.1 started on first use by the tests'
launcher (``tests/pg_server.py``: initdb + pg_ctl in a temporary folder) and removed when the
bench exits. Its URL is put in that variable, so spawned writer processes reach the same server.
Each bench root (a fresh folder) is a schema of its own.

The raw side uses the store's table (:class:`~session_core.stores.postgres.Statements`) and
psycopg's fastest path for each job: ``COPY`` straight into the table for a batch, one
``INSERT ... ON CONFLICT`` per save, and one client-side ``SELECT ... ORDER BY id`` for listing
and loading (psycopg's default cursor holds the whole result in memory; the store streams).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from session_core.registry import StoreSpec

from . import Records, builtin_spec

ENV_URL = "SESSION_CORE_BENCH_POSTGRES"
TABLE = "sessions"


def server_url() -> str:
    """The bench's database URL, starting a throwaway server the first time when none is given."""
    url = os.environ.get(ENV_URL)
    if url:
        return url
    from tests.pg_server import PostgresServer

    server = PostgresServer()
    atexit.register(server.remove)
    server.start()
    os.environ[ENV_URL] = url = server.url()
    return url


def schema_of(root: Path) -> str:
    return "bench_" + hashlib.sha1(str(root.absolute()).encode()).hexdigest()[:16]


def _connect(autocommit: bool = True) -> Any:
    import psycopg

    return psycopg.connect(server_url(), autocommit=autocommit)


def _table(root: Path) -> Any:
    from psycopg import sql

    return sql.Identifier(schema_of(root), TABLE)


@dataclass(frozen=True)
class PostgresBackend:
    name: str = "postgres"
    default_max_sessions: int = 100_000
    concurrent_saves: int = 250

    def store_spec(self, root: Path) -> StoreSpec:
        return builtin_spec("postgres", f"{server_url()}/{schema_of(root)}")

    def raw_create(self, root: Path) -> None:
        from psycopg import sql

        from session_core.stores.postgres import Statements

        with _connect() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema_of(root))))
            for statement in Statements(schema_of(root), TABLE).create:
                conn.execute(statement)

    def raw_write_many(self, root: Path, records: Records) -> None:
        from psycopg import sql

        with _connect(autocommit=False) as conn, conn.cursor() as cursor:
            with cursor.copy(sql.SQL("COPY {} (id, record) FROM STDIN").format(_table(root))) as copy:
                for session_id, record in records:
                    copy.write_row((session_id, json.dumps(record)))
            conn.commit()

    def raw_ids(self, root: Path) -> list[str]:
        from psycopg import sql

        with _connect() as conn:
            query = sql.SQL("SELECT id FROM {} ORDER BY id").format(_table(root))
            return [session_id for (session_id,) in conn.execute(query)]

    def raw_load_all(self, root: Path) -> int:
        from psycopg import sql

        count = 0
        with _connect() as conn:
            for _, text in conn.execute(sql.SQL("SELECT id, record::text FROM {} ORDER BY id").format(_table(root))):
                json.loads(text)
                count += 1
        return count

    def raw_save_one(self, root: Path, session_id: str, record: dict[str, Any]) -> None:
        self.raw_save_each(root, [(session_id, record)])

    def raw_save_each(self, root: Path, records: Records) -> None:
        from psycopg import sql

        upsert = sql.SQL(
            "INSERT INTO {} (id, record) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record"
        ).format(_table(root))
        with _connect() as conn:
            for session_id, record in records:
                conn.execute(upsert, (session_id, json.dumps(record)))


BACKEND = PostgresBackend()
