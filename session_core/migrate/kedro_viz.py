"""Reading a kedro-viz ``session_store.db`` (kedro-viz's ``SQLiteStore``, removed in kedro-viz 11).

kedro-viz created its tables with SQLAlchemy::

    runs(id VARCHAR PRIMARY KEY, blob JSON)                 -- one row per Kedro session
    user_run_details(id INTEGER PRIMARY KEY, run_id VARCHAR UNIQUE REFERENCES runs(id),
                     bookmark BOOLEAN, title VARCHAR, notes VARCHAR)

and saved ``RunModel(id=session_id, blob=store.to_json())``: the JSON column encoded the JSON
*text* once more, so a blob is usually a JSON string holding the record's JSON. Both that and a
plain JSON object are read. What a user typed into kedro-viz (title, notes, bookmark) is kept
under the record key ``kedro_viz``. The same layout without any session-core metadata is this
project's SQLite "format 0", which :mod:`session_core.migrate.upgrade` converts in place.

The database is opened read-only (``mode=ro``): reading never changes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from session_core import values
from session_core.errors import CorruptRecord

from .legacy_store import LegacyReader

DEFAULT_FILENAME = "session_store.db"
DETAILS_KEY = "kedro_viz"

_SELECT_WITH_DETAILS = (
    "SELECT r.id, r.blob, d.title, d.notes, d.bookmark FROM runs AS r "
    "LEFT JOIN user_run_details AS d ON d.run_id = r.id",
    "r.id",
)
_SELECT_RUNS = ("SELECT id, blob, NULL, NULL, NULL FROM runs", "id")
_FETCH_ROWS = 1000


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


def record_text(blob: Any, title: Any, notes: Any, bookmark: Any) -> str:
    """The record's JSON text for one ``runs`` row, with the user's run details merged in.

    Raises:
        ValueError: the blob is not JSON, not a JSON object (after kedro-viz's double
            encoding is undone), larger than the record limit, nested beyond it, or holds
            values outside the portable model (NaN); never ``RecursionError``.
    """
    if isinstance(blob, (str, bytes)) and len(blob) > values.DEFAULT_MAX_RECORD_BYTES:
        raise ValueError(f"blob of {len(blob)} bytes, over the record limit of {values.DEFAULT_MAX_RECORD_BYTES}")
    try:
        record = json.loads(blob)
        if isinstance(record, str):  # kedro-viz's double encoding
            record = json.loads(record)
    except TypeError as exc:
        raise ValueError(f"blob is a {type(blob).__name__}, not JSON text") from exc
    except RecursionError:
        raise ValueError(f"blob nests deeper than {values.MAX_DEPTH} levels") from None
    if not isinstance(record, dict):
        raise ValueError(f"blob holds a JSON {type(record).__name__}, not an object")
    details = {
        name: value
        for name, value in (("title", title), ("notes", notes), ("bookmark", bookmark))
        if value is not None
    }
    if "bookmark" in details:
        details["bookmark"] = bool(details["bookmark"])
    if details:
        record[DETAILS_KEY] = details
    return values.encode(values.to_portable(record))


def iter_rows(
    conn: sqlite3.Connection, session_id: str | None = None
) -> Iterator[tuple[str, Any, Any, Any, Any]]:
    """Stream the raw ``(id, blob, title, notes, bookmark)`` rows in ascending id order (only
    ``session_id``'s row when given); turn one into a record with :func:`record_text`."""
    query, id_column = _SELECT_WITH_DETAILS if has_table(conn, "user_run_details") else _SELECT_RUNS
    if session_id is None:
        cursor = conn.execute(f"{query} ORDER BY {id_column}")
    else:
        cursor = conn.execute(f"{query} WHERE {id_column} = ?", (session_id,))
    try:
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield from rows
    finally:
        cursor.close()


class KedroVizReader(LegacyReader):
    """A kedro-viz ``session_store.db``, read-only (``kedro-viz:///path/to/session_store.db``;
    a folder means the ``session_store.db`` inside it, as kedro-viz laid it out)."""

    def _open(self, root: Path) -> None:
        db = root / DEFAULT_FILENAME if root.is_dir() else root
        self._conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        if not has_table(self._conn, "runs"):
            raise ValueError(f"{db} has no `runs` table: not a kedro-viz session store")

    def _record(self, row: tuple[str, Any, Any, Any, Any]) -> tuple[str, str]:
        session_id = row[0]
        try:
            return session_id, record_text(*row[1:])
        except ValueError as exc:  # InvalidValue and UnicodeDecodeError are ValueErrors too
            raise CorruptRecord(self.location, session_id, exc) from None

    def _get(self, session_id: str) -> str | None:
        for row in iter_rows(self._conn, session_id):
            return self._record(row)[1]
        return None

    def _iter_ids(self) -> Iterator[str]:
        cursor = self._conn.execute("SELECT id FROM runs ORDER BY id")
        try:
            while rows := cursor.fetchmany(_FETCH_ROWS):
                for (session_id,) in rows:
                    yield session_id
        finally:
            cursor.close()

    def _iter_items(self) -> Iterator[tuple[str, str]]:
        for row in iter_rows(self._conn):
            yield self._record(row)

    def _close(self) -> None:
        self._conn.close()
