"""The ``query`` relation of a compacted JSON store, read by DuckDB in bulk.

DuckDB reads every segment with its JSON reader (a few large GETs on S3) and keeps a copy only
when its version tag equals the tag the listing gives for that session now, exactly as
:class:`~session_core.stores._segments.SegmentIndex` does for ``iter_records``; the sessions
without a current copy (saved again, never folded, still running) are read from their own
objects a page of concurrent GETs at a time, as ``iter_records`` reads them (one GET each;
DuckDB reading them through fsspec would add HEAD requests). A segment line that is not a segment line is skipped by the reader,
so its session is read from its object, as ``iter_records`` does.

The listing (``(id, tag)`` pairs, from one LIST per 1,000 sessions on S3) is loaded into a
temporary table of the in-memory connection; nothing is written to the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from ._fsspec import Folder

#: Listed ``(id, tag)`` pairs sent to DuckDB per statement.
LISTING_BATCH = 10_000
#: Sessions without a current copy read at once (concurrent GETs on object storage).
READ_PAGE = 100


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: list[str]) -> str:
    return "[" + ", ".join(_quoted(path) for path in paths) + "]"


def compacted_relation(
    con: Any, entries: Iterator[tuple[str, str]], sessions: Folder, segments: Folder, segment_names: list[str]
) -> str:
    """Ready ``con`` and give the SQL of ``(session_id, record)`` of every listed session.

    Args:
        entries: the listed ``(id, tag)`` of the per-session objects (foreign names left out).
        segment_names: the segment objects to read (at least one).

    Raises:
        duckdb.Error: a file could not be read (removed since it was listed, unreachable).
    """
    con.execute("CREATE TEMP TABLE listed (session_id VARCHAR, tag VARCHAR)")
    while batch := list(islice(entries, LISTING_BATCH)):
        ids, tags = zip(*batch)
        con.execute("INSERT INTO listed SELECT unnest(?), unnest(?)", [list(ids), list(tags)])
    segment_files = _file_list(segments.duckdb_files(con, segment_names))
    con.execute(
        "CREATE TEMP TABLE current_copies AS "
        "SELECT listed.session_id, any_value(copy.record)::VARCHAR AS record FROM listed "
        f"JOIN read_json({segment_files}, format='newline_delimited', ignore_errors=true, "
        "columns={'id': 'VARCHAR', 'tag': 'VARCHAR', 'record': 'JSON'}) AS copy "
        "ON copy.id = listed.session_id AND copy.tag = listed.tag "
        "WHERE copy.record IS NOT NULL GROUP BY listed.session_id"
    )
    misses = (
        row[0]
        for row in con.execute(
            "SELECT session_id FROM listed ANTI JOIN current_copies USING (session_id) ORDER BY session_id"
        ).fetchall()
    )
    con.execute("CREATE TEMP TABLE unfolded (session_id VARCHAR, record VARCHAR)")
    while page := list(islice(misses, READ_PAGE)):
        found = list(sessions.read_many(page))  # removed since it was listed: not found, left out
        if found:
            con.execute(
                "INSERT INTO unfolded SELECT unnest(?), unnest(?)",
                [[session_id for session_id, _ in found], [data.decode("utf-8") for _, data in found]],
            )
    return "SELECT session_id, record FROM current_copies UNION ALL SELECT session_id, record FROM unfolded"
