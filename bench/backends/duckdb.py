"""DuckDB: the toolkit's DuckDBStore beside raw ``duckdb`` with the same table.

The raw batch is the fastest bulk insert measured here, one ``INSERT ... SELECT unnest(?),
unnest(?)`` of two lists; raw listing and loading run one query on one connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from session_core.registry import StoreSpec

from . import Records, builtin_spec

DB = "raw.duckdb"
_FETCH = 1000


def _connect(root: Path, read_only: bool = False) -> Any:
    import duckdb

    return duckdb.connect(str(root / DB), read_only=read_only)


@dataclass(frozen=True)
class DuckDBBackend:
    name: str = "duckdb"
    default_max_sessions: int = 100_000
    concurrent_saves: int = 20

    def store_spec(self, root: Path) -> StoreSpec:
        return builtin_spec("duckdb", root / "store.duckdb")

    def raw_create(self, root: Path) -> None:
        conn = _connect(root)
        conn.execute("CREATE TABLE IF NOT EXISTS sessions (id VARCHAR PRIMARY KEY, record VARCHAR NOT NULL)")
        conn.close()

    def raw_write_many(self, root: Path, records: Records) -> None:
        conn = _connect(root)
        conn.execute(
            "INSERT INTO sessions SELECT unnest(?), unnest(?)",
            [[sid for sid, _ in records], [json.dumps(rec) for _, rec in records]],
        )
        conn.close()

    def raw_ids(self, root: Path) -> list[str]:
        conn = _connect(root, read_only=True)
        ids = [sid for (sid,) in conn.execute("SELECT id FROM sessions ORDER BY id").fetchall()]
        conn.close()
        return ids

    def raw_load_all(self, root: Path) -> int:
        conn = _connect(root, read_only=True)
        cursor = conn.execute("SELECT id, record FROM sessions ORDER BY id")
        count = 0
        while rows := cursor.fetchmany(_FETCH):
            for _, text in rows:
                json.loads(text)
                count += 1
        conn.close()
        return count

    def raw_save_one(self, root: Path, session_id: str, record: dict[str, Any]) -> None:
        self.raw_save_each(root, [(session_id, record)])

    def raw_save_each(self, root: Path, records: Records) -> None:
        conn = _connect(root)
        for sid, rec in records:
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", [sid, json.dumps(rec)])
        conn.close()


BACKEND = DuckDBBackend()
