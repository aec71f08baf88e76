"""The ``query`` relation of a compacted JSON store, read by DuckDB in bulk.

DuckDB reads every segment's lines as plain text (its CSV reader, one column, no quoting) and
splits each line's id, tag and record with string functions: no JSON is parsed here, and each
record reaches ``query`` byte for byte as stored, as ``iter_records`` reads it. A copy counts
only when its id and tag equal what the listing gives for that session now, the same check as
:func:`~session_core.stores._segments.copy_in` (ids and listed tags hold no quote, so equal id
and tag mean the line starts exactly as a copy of that version does); two copies of one version
count once. The sessions without a current copy (saved again, never folded, still running) are
read from their own objects a page of concurrent GETs at a time, as ``iter_records`` reads them
(one GET each; DuckDB reading them through fsspec would add HEAD requests). A line that is not a
copy (foreign, damaged, longer than DuckDB's line limit of 2 MB) is never used, so its session is
read from its object.

The listing (``(id, tag)`` pairs: a stat per file on a local folder, one LIST per 1,000 sessions
on S3) reaches DuckDB as one text parameter per :data:`LISTING_BATCH` sessions, split by DuckDB
(binding Python lists of strings costs a conversion per element, three times slower here).
Everything lives in temporary tables of the in-memory connection; nothing is written to the
store. Reading the listing in a thread while DuckDB reads the segments was measured slower
(DuckDB's statement waited on the GIL the listing held), so the two run one after the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from ._fsspec import Folder

#: Listed ``(id, tag)`` pairs sent to DuckDB per statement.
LISTING_BATCH = 100_000
#: Sessions without a current copy read at once (concurrent GETs on object storage).
READ_PAGE = 100

#: ``(id, tag, record)`` of each line of the segments read by :func:`_lines`, the text of the
#: line split at its first ``","tag":"`` and ``","record":``; lines that cannot be a copy are left out.
_SPLIT = """
SELECT line[8 : tag_at - 1] AS id, line[tag_at + 9 : record_at - 1] AS tag,
       substr(line, record_at + 11, length(line) - record_at - 11) AS record
FROM (SELECT line, strpos(line, '","tag":"') AS tag_at, strpos(line, '","record":') AS record_at FROM {lines})
WHERE starts_with(line, '{{"id":"') AND tag_at > 0 AND record_at > tag_at AND ends_with(line, '}}')
"""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lines(paths: list[str]) -> str:
    """DuckDB's CSV reader over ``paths`` giving each line whole in ``line``: the delimiter
    (U+0001) never occurs raw in JSON text, nothing is quoted or escaped, and a line it cannot
    read (invalid UTF-8, too long) is skipped rather than failing the query."""
    files = "[" + ", ".join(_quoted(path) for path in paths) + "]"
    return (
        f"read_csv({files}, columns={{'line': 'VARCHAR'}}, delim=chr(1), quote='', escape='', "
        "header=false, auto_detect=false, strict_mode=false, ignore_errors=true)"
    )


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
    lines = _lines(segments.duckdb_files(con, segment_names))
    con.execute(f"CREATE TEMP TABLE segment_copies AS {_SPLIT.format(lines=lines)}")
    con.execute("CREATE TEMP TABLE listed (session_id VARCHAR, tag VARCHAR)")
    while batch := list(islice(entries, LISTING_BATCH)):
        ids, tags = zip(*batch)
        con.execute(
            "INSERT INTO listed SELECT unnest(string_split(?, chr(10))), unnest(string_split(?, chr(10)))",
            ["\n".join(ids), "\n".join(tags)],
        )
    # one current copy per session, chosen by row number alone: the records stay where they are
    con.execute(
        "CREATE TEMP TABLE current_copies AS SELECT copy.id AS session_id, min(copy.rowid) AS copy_row "
        "FROM segment_copies AS copy JOIN listed ON copy.id = listed.session_id AND copy.tag = listed.tag "
        "GROUP BY copy.id"
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
    return (
        "SELECT copy.id AS session_id, copy.record FROM segment_copies AS copy "
        "SEMI JOIN current_copies ON copy.rowid = current_copies.copy_row "
        "UNION ALL SELECT session_id, record FROM unfolded"
    )
