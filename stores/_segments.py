"""Segments of a compacted JSON store (format version 2): where folded sessions live.

A compaction copies finished sessions (and tombstones) into immutable NDJSON *segment* objects,
adds them to the *manifest* in one conditional write, and only then removes each folded
per-session object, conditionally on it still being the version folded. So a session lives in
exactly one of two places a reader looks at, in this order:

1. its per-session object, when one is listed: it always wins (a save after compaction);
   a tombstone object (:data:`~._fsspec.TOMBSTONE`) says it was deleted;
2. otherwise the newest line for its id among the segments the manifest lists, later entries of
   the manifest being newer; a line whose record is ``null`` says the session was deleted.

Readers list the per-session objects first and read the manifest after: a compaction that
commits and removes objects meanwhile has committed before it removed, so its segment is in the
manifest read later. Compactions are ordered by the manifest's conditional write (S3
``If-Match``/``If-None-Match``, a lock on a local folder): one whose reads began before another
committed fails its write and reads again, so a later manifest entry always holds later versions.

Layout::

    segments/manifest.json      {"format": ..., "segments": [{"name", "first", "last", "sessions"}, ...],
                                 "retired": [{"name", "at"}, ...]}
    segments/<first id>~<last id>~<8 hex: Unix time made><8 random hex>.ndjson
        {"id":"<id>","record":<the record's JSON text, as stored, or null>}   one line per session, ascending ids
    segments/<the same name>.ids
        <id>            or  <id> deleted                                    the same sessions' ids alone

The ``.ids`` object lets ``session_ids`` list a compacted store without reading any record.
A segment line that is not one (damaged storage) is an error naming the segment, never a
session silently missing: the segment is the only copy of what it holds.
"""

from __future__ import annotations

import heapq
import json
import re
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ._fsspec import Folder

SEGMENTS_FOLDER = "segments"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "session-core-json-segments"
SUFFIX = ".ndjson"
IDS_SUFFIX = ".ids"
_DELETED_MARK = " deleted"
#: Sessions per segment object a compaction writes at most.
SEGMENT_SIZE = 10_000
#: Parsed segment lines a store instance keeps for ``load`` of folded sessions: two full
#: segments, or many small ones (the small segments of later compactions span wide id ranges, so
#: one id may be in several; a cache counted in segments would re-read them at every load).
CACHED_LINES = 2 * SEGMENT_SIZE
_NAME = re.compile(r"^([A-Za-z0-9_.-]+)~([A-Za-z0-9_.-]+)~([0-9a-f]{16})\.ndjson\Z")
_LINE_START = '{"id":"'
_ID_START = len(_LINE_START)
_RECORD_AT = '","record":'
#: The record text of a deletion line.
DELETED = "null"


@dataclass(frozen=True)
class SegmentRef:
    """One manifest entry: a segment object and the ids it covers (both ends included)."""

    name: str
    first: str
    last: str
    sessions: int


@dataclass(frozen=True)
class Manifest:
    """The committed segments, oldest first, and the version ``tag`` they were read at
    (``None``: no manifest yet), which the next commit is conditional on.

    ``retired``: ``(name, unix time)`` of segments a merge replaced at that time; readers that
    read an older manifest may still read them, so they are removed only an hour later."""

    segments: tuple[SegmentRef, ...] = ()
    tag: str | None = None
    retired: tuple[tuple[str, float], ...] = ()

    def disjoint(self) -> bool:
        """True when no two segments' id ranges overlap: then every id is in one segment at most."""
        ordered = sorted(self.segments, key=lambda ref: ref.first)
        return all(before.last < after.first for before, after in zip(ordered, ordered[1:]))


def new_name(first: str, last: str) -> str:
    """A fresh segment name for ids ``first`` to ``last``: its last part is the time it was
    made (8 hex digits of the Unix time, which tells a compaction how old an unlisted segment is)
    and 8 random hex digits, which keep two compactions from ever writing the same object."""
    return f"{first}~{last}~{int(time.time()):08x}{secrets.token_hex(4)}{SUFFIX}"


def segment_of(name: str) -> str:
    """The segment an object named ``name`` belongs to: itself, or the segment of an ``.ids``."""
    return name.removesuffix(IDS_SUFFIX) + SUFFIX if name.endswith(IDS_SUFFIX) else name


def made_at(name: str) -> float | None:
    """The Unix time a segment (or ``.ids``) object named ``name`` was made, or ``None`` for a
    name that is not a segment's."""
    match = _NAME.match(segment_of(name))
    return None if match is None else float(int(match[3][:8], 16))


def ids_name(name: str) -> str:
    """The name of the ``.ids`` object beside the segment ``name``."""
    return name.removesuffix(SUFFIX) + IDS_SUFFIX


def encode_ids(copies: Iterable[tuple[str, bytes | None]]) -> bytes:
    """The ``.ids`` content for the same ``(id, record or None)`` as :func:`encode`."""
    return "".join(f"{session_id}{_DELETED_MARK if record is None else ''}\n" for session_id, record in copies).encode()


def read_manifest(folder: Folder) -> Manifest:
    """The manifest in ``folder`` (an empty one when none was written yet).

    Raises:
        ValueError: the manifest is not a segments manifest (names what was found).
    """
    found = next(iter(folder.read_tagged([MANIFEST_NAME])), None)
    if found is None:
        return Manifest()
    _, data, tag = found
    try:
        manifest = json.loads(data)
        if manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError(manifest.get("format"))
        refs = tuple(SegmentRef(s["name"], s["first"], s["last"], int(s["sessions"])) for s in manifest["segments"])
        retired = tuple((r["name"], float(r["at"])) for r in manifest.get("retired", ()))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"segments/{MANIFEST_NAME} is not a segments manifest: {data[:200]!r}") from exc
    return Manifest(refs, tag, retired)


def encode_manifest(segments: Iterable[SegmentRef], retired: Iterable[tuple[str, float]] = ()) -> bytes:
    entries = [{"name": ref.name, "first": ref.first, "last": ref.last, "sessions": ref.sessions} for ref in segments]
    gone = [{"name": name, "at": at} for name, at in retired]
    return json.dumps({"format": MANIFEST_FORMAT, "segments": entries, "retired": gone}, indent=0).encode()


def encode(copies: Iterable[tuple[str, bytes | None]]) -> bytes:
    """Segment content for ``(id, record JSON or None for a deletion)`` in ascending id order.

    A record stored with line breaks (written by hand, or by another tool) is re-encoded on one
    line; records this library writes already are.
    """
    lines = []
    for session_id, record in copies:
        if record is None:
            record = DELETED.encode()
        elif b"\n" in record or b"\r" in record:
            record = json.dumps(json.loads(record), ensure_ascii=False, separators=(",", ":")).encode()
        lines.append(b'{"id":"' + session_id.encode() + b'","record":' + record + b"}\n")
    return b"".join(lines)


def parse(data: bytes, name: str) -> list[tuple[str, str]]:
    """``(id, record text)`` of each line of a segment's content, in the segment's order; a
    record text ``null`` is a deletion.

    Raises:
        ValueError: a line is not a segment line (names the segment and the line's number).
    """
    text = data.decode("utf-8", "replace")
    copies = []
    for number, line in enumerate(_lines_of(text), 1):
        end = line.find(_RECORD_AT, _ID_START)
        if end < 0 or not line.startswith(_LINE_START) or not line.endswith("}"):
            raise ValueError(f"segment {name}: line {number} is not a segment line: {line[:80]!r}")
        copies.append((line[_ID_START:end], line[end + len(_RECORD_AT) : -1]))
    return copies


def parse_ids(data: bytes, name: str) -> list[tuple[str, str]]:
    """``(id, "" or "null" for a deletion)`` of each line of an ``.ids`` object.

    Raises:
        ValueError: a line is not an id line (names the object and the line's number).
    """
    ids = []
    for number, line in enumerate(_lines_of(data.decode("utf-8", "replace")), 1):
        session_id, _, mark = line.partition(" ")
        if not session_id or (mark and f" {mark}" != _DELETED_MARK):
            raise ValueError(f"segment ids {name}: line {number} is not an id line: {line[:80]!r}")
        ids.append((session_id, DELETED if mark else ""))
    return ids


def _lines_of(text: str) -> list[str]:
    """The lines of ``text`` split at ``\\n`` only (``str.splitlines`` would also split at
    U+0085, U+2028 and others, which a record's JSON text may hold raw)."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


class Segments:
    """The segments of one manifest, read for a whole listing or for one session.

    Args:
        folder: the segments folder.
        manifest: the manifest read *after* the per-session objects were listed.
    """

    def __init__(self, folder: Folder, manifest: Manifest) -> None:
        self._folder = folder
        self._manifest = manifest
        self._cache: OrderedDict[str, dict[str, str]] = OrderedDict()  # least recently used first
        self._cached_lines = 0

    def __bool__(self) -> bool:
        return bool(self._manifest.segments)

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    def _lines(self, ref: SegmentRef) -> list[tuple[str, str]]:
        data = self._folder.read(ref.name)
        if data is None:
            raise FileNotFoundError(f"segment {ref.name} listed in the manifest is missing")
        return parse(data, ref.name)

    def _ids(self, ref: SegmentRef) -> list[tuple[str, str]]:
        name = ids_name(ref.name)
        data = self._folder.read(name)
        if data is None:
            raise FileNotFoundError(f"segment ids {name} listed in the manifest is missing")
        return parse_ids(data, name)

    def find(self, session_id: str) -> tuple[bool, str | None]:
        """``(found, record text or None for a deletion)`` of the newest copy of ``session_id``,
        reading the segments whose range holds it, newest first (the most recently used kept, up
        to :data:`CACHED_LINES` lines)."""
        for ref in reversed(self._manifest.segments):
            if not ref.first <= session_id <= ref.last:
                continue
            copies = self._cache.get(ref.name)
            if copies is None:
                copies = dict(self._lines(ref))
                self._cache[ref.name] = copies
                self._cached_lines += len(copies)
                while self._cached_lines > CACHED_LINES and len(self._cache) > 1:
                    self._cached_lines -= len(self._cache.popitem(last=False)[1])
            else:
                self._cache.move_to_end(ref.name)
            record = copies.get(session_id)
            if record is not None:
                return True, None if record == DELETED else record
        return False, None

    def finder_newest_first(self) -> Callable[[str], tuple[bool, str | None]]:
        """:meth:`find` for ids asked highest first (a newest-first listing): a segment is read
        when the walk reaches its range and dropped after it, so each is read once, however
        many segments' ranges overlap (a plain :meth:`find` keeps what :data:`CACHED_LINES` holds)."""
        refs = self._manifest.segments
        pending = deque(sorted(range(len(refs)), key=lambda rank: refs[rank].last, reverse=True))
        held: dict[int, dict[str, str]] = {}

        def find(session_id: str) -> tuple[bool, str | None]:
            while pending and refs[pending[0]].last >= session_id:
                rank = pending.popleft()
                if refs[rank].first <= session_id:  # else every id it holds was passed already
                    held[rank] = dict(self._lines(refs[rank]))
            for rank in sorted(held, reverse=True):  # the newest segment's copy counts
                if refs[rank].first > session_id:
                    del held[rank]
                elif (record := held[rank].get(session_id)) is not None:
                    return True, None if record == DELETED else record
            return False, None

        return find

    def current(self, ids_only: bool = False) -> Iterator[tuple[str, str | None]]:
        """``(id, record text or None for a deletion)`` of the newest copy of every id the
        segments hold, ascending (with ``ids_only``, ``""`` instead of each record: only the
        ``.ids`` objects are read). A segment is read when the walk reaches its first id and
        dropped after its last, so memory holds the segments whose ranges hold the current id."""
        refs = self._manifest.segments
        read = self._ids if ids_only else self._lines
        if self._manifest.disjoint():
            for ref in sorted(refs, key=lambda ref: ref.first):
                for session_id, record in read(ref):
                    yield session_id, None if record == DELETED else record
            return
        pending = deque(sorted(range(len(refs)), key=lambda rank: refs[rank].first))
        heap: list[tuple[str, int, str, Iterator[tuple[str, str]]]] = []
        previous = None
        while heap or pending:
            if pending and (not heap or refs[pending[0]].first <= heap[0][0]):
                rank = pending.popleft()
                lines = iter(read(refs[rank]))
                if (first := next(lines, None)) is not None:
                    heapq.heappush(heap, (first[0], -rank, first[1], lines))
                continue
            session_id, rank, record, lines = heapq.heappop(heap)
            if (following := next(lines, None)) is not None:
                heapq.heappush(heap, (following[0], rank, following[1], lines))
            if session_id != previous:  # the newest copy comes first: the smallest -rank
                previous = session_id
                yield session_id, None if record == DELETED else record


def merged(ids: list[str], tombstones: set[str], copies: Iterator[tuple[str, str | None]]) -> Iterator[tuple[str, str | None]]:
    """Every current session, ascending: ``(id, None)`` for one whose object is listed in
    ``ids`` (ascending; the object wins over every segment copy, and one in ``tombstones``
    hides the session), ``(id, record text)`` for one only the segments hold."""
    position, count = 0, len(ids)
    for session_id, record in copies:
        while position < count and ids[position] < session_id:
            if ids[position] not in tombstones:
                yield ids[position], None
            position += 1
        if position < count and ids[position] == session_id:
            position += 1
            if session_id not in tombstones:
                yield session_id, None
        elif record is not None:
            yield session_id, record
    for listed in ids[position:]:
        if listed not in tombstones:
            yield listed, None
