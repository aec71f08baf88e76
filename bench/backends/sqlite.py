"""SQLite: the toolkit's SQLiteStore beside raw ``sqlite3`` with the same table and settings.

The raw side uses the store's durability settings (WAL, ``synchronous=NORMAL``), the same
``sessions(id TEXT PRIMARY KEY, record TEXT)`` table, and ``executemany`` in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from session_core.registry import StoreSpec

from . import Records, builtin_spec

DB = "raw.db"


def _connect(root: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(root / DB, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


@dataclass(frozen=True)
class SQLiteBackend:
    name: str = "sqlite"
    default_max_sessions: int = 100_000
    concurrent_saves: int = 250

    def store_spec(self, root: Path) -> StoreSpec:
        return builtin_spec("sqlite", root / "store.db")

    def raw_create(self, root: Path) -> None:
        conn = _connect(root)
        conn.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL)")
        conn.close()

    def raw_write_many(self, root: Path, records: Records) -> None:
        conn = _connect(root)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO sessions VALUES (?, ?)", [(sid, json.dumps(rec)) for sid, rec in records]
        )
        conn.execute("COMMIT")
        conn.close()

    def raw_ids(self, root: Path) -> list[str]:
        conn = _connect(root)
        ids = [sid for (sid,) in conn.execute("SELECT id FROM sessions ORDER BY id")]
        conn.close()
        return ids

    def raw_load_all(self, root: Path) -> int:
        conn = _connect(root)
        count = 0
        for _, text in conn.execute("SELECT id, record FROM sessions ORDER BY id"):
            json.loads(text)
            count += 1
        conn.close()
        return count

    def raw_save_one(self, root: Path, session_id: str, record: dict[str, Any]) -> None:
        self.raw_save_each(root, [(session_id, record)])

    def raw_save_each(self, root: Path, records: Records) -> None:
        conn = _connect(root)
        for sid, rec in records:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", (sid, json.dumps(rec)))
            conn.execute("COMMIT")
        conn.close()


BACKEND = SQLiteBackend()
