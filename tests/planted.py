"""Writing bytes into a store behind its back, the way a bad disk, an old version or an attacker
would: straight into the SQLite/DuckDB table, the shelf's dbm file or the JSON file, never
through the store's own code, so what a reader meets is exactly what was planted.
"""

from __future__ import annotations

import dbm
import pickle
import sqlite3
from pathlib import Path
from typing import Any

from session_core.values import MAX_DEPTH, MAX_INT_DIGITS

#: The backends with a local layout we can write behind their back: name -> file or folder.
LOCAL_BACKENDS = {
    "sqlite": "runs.db",
    "duckdb": "runs.duckdb",
    "shelve": "shelves",
    "json": "records",
}


def store_url(kind: str, root: Path) -> str:
    """The URL a user would give for a store of ``kind`` under ``root``."""
    target = root / LOCAL_BACKENDS[kind]
    return f"file://{target}" if kind == "json" else f"{kind}:///{target}"


def deep_json(levels: int) -> str:
    """A record whose nesting is ``levels`` deep (the record itself is level 1)."""
    return '{"deep":' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


#: One of each way a stored record can be unreadable; every reader must step over all of them.
BAD_TEXTS: dict[str, str | bytes] = {
    "torn": '{"session_id": "x", "status": "compl',
    "not-an-object": "[1, 2, 3]",
    "too-deep": deep_json(MAX_DEPTH + 1),
    "far-too-deep": deep_json(100_000),
    "int-too-long": '{"n": ' + "7" * (MAX_INT_DIGITS + 1) + "}",
    "int-beyond-python": '{"n": ' + "7" * 5000 + "}",
    "nan": '{"x": NaN}',
    "empty": "",
    "not-utf8": b'\xff\xfe{"s": "\xff"}',  # not JSON even where a backend replaces bad bytes
    "binary": b"\x00\x01\x02garbage",
}


def plant(kind: str, root: Path, session_id: str, text: str | bytes) -> None:
    """Store ``text`` as the record of ``session_id`` in the ``kind`` store under ``root``."""
    target = root / LOCAL_BACKENDS[kind]
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if kind == "sqlite":
        conn = sqlite3.connect(target)
        try:  # bytes cast to TEXT: invalid UTF-8 stays as it is, as on a damaged disk
            with conn:
                conn.execute("INSERT OR REPLACE INTO sessions (id, record) VALUES (?, CAST(? AS TEXT))",
                             (session_id, raw))
        finally:
            conn.close()
    elif kind == "duckdb":
        import duckdb

        conn = duckdb.connect(str(target))
        try:
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", (session_id, raw.decode("utf-8", "replace")))
        finally:
            conn.close()
    elif kind == "shelve":
        value = raw.decode("utf-8") if raw.isascii() else raw  # bytes: not the JSON text expected
        plant_shelf_value(target / session_id, "session_core_record", pickle.dumps(value))
    elif kind == "json":
        (target / "sessions" / session_id).write_bytes(raw)
    else:
        raise ValueError(kind)


def plant_shelf_value(folder: Path, key: str, data: bytes, **more: bytes) -> None:
    """Write raw (pickled) bytes under shelf keys of a new ``folder/store`` dbm shelf."""
    folder.mkdir(parents=True, exist_ok=True)
    with dbm.open(str(folder / "store"), "c") as db:
        db[key.encode()] = data
        for name, value in more.items():
            db[name.encode()] = value


def good_record(i: int) -> dict[str, Any]:
    return {"session_id": f"s{i:05d}", "status": "completed", "n": i, "params": {"lr": 0.1, "tags": ["a"]}}
