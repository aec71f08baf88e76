"""The ``query`` relation of a compacted JSON store, read by DuckDB in bulk.

DuckDB reads every segment the manifest lists as plain text (its CSV reader, one column, no
quoting) and splits each line's id and record with string functions: no JSON is parsed here,
and each record reaches ``query`` byte for byte as stored, as ``iter_records`` reads it. The
sessions that have a per-session object (saved since the last compaction, or deleted: a
tombstone) are taken from their objects, read a page of concurrent GETs at a time as
``iter_records`` reads them, and their segment copies left out; so are deletion lines. When the
segments' id ranges overlap (a session folded again by a later compaction), the copy of the
newest segment in the manifest wins, found from the ``.ids`` objects (:func:`_newest_only`).

The listed ids reach DuckDB as one text parameter per :data:`LISTING_BATCH`, split by DuckDB
(binding Python lists of strings costs a conversion per element, three times slower here).
Everything lives in temporary tables of the in-memory connection; nothing is written to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from session_core.values import DEFAULT_MAX_RECORD_BYTES

from ._fsspec import Folder
from ._segments import DELETED, Manifest, ids_name

#: Listed ids sent to DuckDB per statement.
LISTING_BATCH = 100_000
#: Sessions read from their objects at once (concurrent GETs on object storage).
READ_PAGE = 100

#: The longest segment line DuckDB reads: the largest record any store takes, and its line's frame.
MAX_LINE = DEFAULT_MAX_RECORD_BYTES + 1024

#: ``(id, record, seq)`` of each line of the segments read by :func:`_lines`, the text of the
#: line split at its first ``","record":``; a line that is not a segment line (damaged storage)
#: fails the query with an error naming the segment, as ``iter_records`` does.
_SPLIT = """
SELECT line[8 : record_at - 1] AS id,
       CASE WHEN starts_with(line, '{{"id":"') AND record_at > 0 AND ends_with(line, '}}')
            THEN substr(line, record_at + 11, length(line) - record_at - 11)
            ELSE error('segment ' || filename || ': a line is not a segment line: ' || left(line, 80)) END AS record,
       ranks.seq
FROM (SELECT line, filename, strpos(line, '","record":') AS record_at FROM {lines}) JOIN segment_ranks AS ranks
     USING (filename)
"""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lines(paths: list[str]) -> str:
    """DuckDB's CSV reader over ``paths`` giving each line whole in ``line`` (and its file in
    ``filename``): the delimiter (U+0001) never occurs raw in JSON text, nothing is quoted or
    escaped, and a line it cannot read (invalid UTF-8) fails the query."""
    files = "[" + ", ".join(_quoted(path) for path in paths) + "]"
    return (
        f"read_csv({files}, columns={{'line': 'VARCHAR'}}, delim=chr(1), quote='', escape='', "
        f"header=false, auto_detect=false, strict_mode=false, max_line_size={MAX_LINE}, filename=true)"
    )


def _newest_only(con: Any, copies: str, ids_paths: list[str]) -> str:
    """``copies`` without the copies a newer segment supersedes. The ids held by several
    segments, with the newest segment of each, come from the small ``.ids`` objects; the
    segments themselves are then read once, streamed, each line checked against that short
    table (grouping every record by id instead held them all in memory: 2.6x the raw read at
    100,000 sessions, against about 1.5x this way, and half the memory)."""
    con.execute("INSERT INTO segment_ranks SELECT unnest(?), unnest(range(?))", [ids_paths, len(ids_paths)])
    con.execute(
        "CREATE TEMP TABLE superseded AS SELECT id, max(seq) AS newest FROM "
        f"(SELECT split_part(line, ' ', 1) AS id, seq FROM {_lines(ids_paths)} JOIN segment_ranks USING (filename)) "
        "GROUP BY id HAVING count(*) > 1"
    )
    return (
        f"SELECT copies.* FROM ({copies}) AS copies LEFT JOIN superseded USING (id) "
        "WHERE superseded.newest IS NULL OR copies.seq = superseded.newest"
    )


def compacted_relation(
    con: Any,
    ids: list[str],
    tombstones: set[str],
    manifest: Manifest,
    segments: Folder,
    read_objects: Callable[[list[str]], Iterator[tuple[str, str | bytes]]],
) -> str:
    """Ready ``con`` and give the SQL of ``(session_id, record)`` of every current session.

    Args:
        ids: the ids of every per-session object, listed before ``manifest`` was read.
        tombstones: those of them that are tombstones.
        manifest: the segments (at least one).
        read_objects: the records of a page of ids from their objects (a vanished one from the
            segments as they are now), as ``iter_records`` reads them.

    Raises:
        duckdb.Error: a segment could not be read (unreachable).
    """
    names = [ref.name for ref in manifest.segments]
    paths = segments.duckdb_files(con, names)
    con.execute("CREATE TEMP TABLE segment_ranks (filename VARCHAR, seq INTEGER)")
    con.execute("INSERT INTO segment_ranks SELECT unnest(?), unnest(range(?))", [paths, len(paths)])
    copies = _SPLIT.format(lines=_lines(paths))
    if not manifest.disjoint():
        copies = _newest_only(con, copies, segments.duckdb_files(con, [ids_name(name) for name in names]))
    source = f"SELECT id AS session_id, record FROM ({copies}) WHERE record <> '{DELETED}'"
    if not ids:
        return source
    con.execute("CREATE TEMP TABLE listed (session_id VARCHAR)")
    listed = iter(ids)
    while batch := list(islice(listed, LISTING_BATCH)):
        con.execute("INSERT INTO listed SELECT unnest(string_split(?, chr(10)))", ["\n".join(batch)])
    con.execute("CREATE TEMP TABLE unfolded (session_id VARCHAR, record VARCHAR)")
    saved = (session_id for session_id in ids if session_id not in tombstones)
    while page := list(islice(saved, READ_PAGE)):
        found = list(read_objects(page))
        if found:
            con.execute(
                "INSERT INTO unfolded SELECT unnest(?), unnest(?)",
                [[session_id for session_id, _ in found],
                 [data if isinstance(data, str) else data.decode("utf-8", "replace") for _, data in found]],
            )
    return f"{source} AND id NOT IN (SELECT session_id FROM listed) UNION ALL SELECT * FROM unfolded"
