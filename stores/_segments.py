"""Segments of a compacted JSON store: immutable NDJSON copies of many sessions' records.

A segment is an accelerator, never the truth. Each line holds a session's record together with
the *version tag* of the per-session object it was copied from (its S3 ETag, or a local file's
inode/mtime/size), and the per-session objects stay where they are. A reader lists the
per-session objects as before (that listing alone decides which sessions exist, in which order)
and takes a record from a segment only when the segment's tag equals the tag in the listing;
otherwise it reads the object. So a session saved again after compaction (new tag) is read from
its object, a deleted one (no longer listed) is not returned, and two segments holding the same
copy, a segment removed while being read, or a compaction killed before its single write, change
nothing a reader returns. No lock or conditional write is needed, which S3 cannot give.

Segment name: ``<first id>~<last id>~<16 hex>.ndjson`` (``~`` never occurs in an id), so a
reader walking ids in order loads a segment only when it reaches the segment's first id, and
drops it after its last. Line (one per session, ascending id order)::

    {"id":"<id>","tag":"<tag>","record":<the record's JSON text, as stored>}
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ._fsspec import Folder

logger = logging.getLogger(__name__)

SEGMENTS_FOLDER = "segments"
SUFFIX = ".ndjson"
#: Sessions per segment object a compaction writes at most.
SEGMENT_SIZE = 10_000
_NAME = re.compile(r"^([A-Za-z0-9_.-]+)~([A-Za-z0-9_.-]+)~[0-9a-f]{16}\.ndjson\Z")
#: How a segment line starts, and where its id begins.
_LINE_START = b'{"id":"'
_ID_START = len(_LINE_START)


@dataclass(frozen=True)
class SegmentName:
    """A segment object's name and the id range it covers (both ends included)."""

    name: str
    first: str
    last: str


def parse_name(name: str) -> SegmentName | None:
    """The segment named ``name``, or ``None`` for a foreign object."""
    match = _NAME.match(name)
    return None if match is None else SegmentName(name, match[1], match[2])


def new_name(first: str, last: str) -> str:
    """A fresh segment name for ids ``first`` to ``last``; the random part keeps two
    compactions that fold the same range from writing the same object."""
    return f"{first}~{last}~{secrets.token_hex(8)}{SUFFIX}"


def encode(copies: Iterable[tuple[str, str, bytes]]) -> bytes:
    """Segment content for ``(id, tag, record JSON)`` triples given in ascending id order.

    A record stored with line breaks (written by hand, or by another tool) is re-encoded on one
    line; records this library writes already are.
    """
    lines = []
    for session_id, tag, record in copies:
        if b"\n" in record or b"\r" in record:
            record = json.dumps(json.loads(record), ensure_ascii=False, separators=(",", ":")).encode()
        head = json.dumps({"id": session_id, "tag": tag}, separators=(",", ":")).encode()
        lines.append(head[:-1] + b',"record":' + record + b"}\n")
    return b"".join(lines)


def decode(data: bytes) -> tuple[dict[str, bytes], int]:
    """``{id: line}`` of a segment's content, and how many of its lines do not even start as a
    segment line. Each line is checked only when it is used (:func:`copy_in`), by comparing its
    start with the id and tag the listing gives: cheaper than parsing every line's id and tag
    apart, and a line never used is never checked. A line that is not a segment line never
    yields a copy (its session is read from its object).
    """
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    starts = data.count(b"\n" + _LINE_START) + data.startswith(_LINE_START)
    ids = [line[_ID_START : line.find(b'"', _ID_START)].decode("utf-8", "replace") for line in lines]
    return dict(zip(ids, lines)), len(lines) - starts


def copy_in(line: bytes, session_id: str, tag: str) -> bytes | None:
    """The record JSON in ``line`` when it is the copy of ``session_id`` at version ``tag``,
    else ``None`` (another version, another session, or not a segment line)."""
    head = f'{{"id":"{session_id}","tag":"{tag}","record":'.encode()
    if line.startswith(head) and line.endswith(b"}"):
        return line[len(head) : -1]
    return None


class SegmentIndex:
    """The segments' copies, looked up by a caller walking ids in ascending order.

    Holds in memory only the segments whose id range contains the current id; a lookup
    between two segment boundaries costs two string comparisons and a dict lookup per open
    segment.

    Args:
        folder: the segments folder.
        names: the object names found in it (foreign names are ignored).
    """

    def __init__(self, folder: Folder, names: Iterable[str]) -> None:
        self._folder = folder
        found = [segment for name in names if (segment := parse_name(name)) is not None]
        self._pending = deque(sorted(found, key=lambda segment: segment.first))
        self._open: list[tuple[str, dict[str, bytes]]] = []
        self._next_first = self._pending[0].first if self._pending else None
        self._first_last: str | None = None  # the smallest last id of the open segments

    def __bool__(self) -> bool:
        return bool(self._pending or self._open)

    def find(self, session_id: str, tag: str) -> bytes | None:
        """The record copied for ``session_id`` at version ``tag``; ``None`` when no segment
        holds that version. Ids must be asked in ascending order."""
        if self._next_first is not None and self._next_first <= session_id:
            self._open_up_to(session_id)
        if self._first_last is not None and self._first_last < session_id:
            self._close_before(session_id)
        for _, copies in self._open:
            line = copies.get(session_id)
            if line is not None and (copy := copy_in(line, session_id, tag)) is not None:
                return copy
        return None

    def _open_up_to(self, session_id: str) -> None:
        while self._pending and self._pending[0].first <= session_id:
            segment = self._pending.popleft()
            if (copies := self._load(segment.name)) is not None:
                self._open.append((segment.last, copies))
        self._next_first = self._pending[0].first if self._pending else None
        self._first_last = min((last for last, _ in self._open), default=None)

    def _close_before(self, session_id: str) -> None:
        self._open = [(last, copies) for last, copies in self._open if last >= session_id]
        self._first_last = min((last for last, _ in self._open), default=None)

    def _load(self, name: str) -> dict[str, bytes] | None:
        data = self._folder.read(name)
        if data is None:  # removed since it was listed: the per-session objects remain
            return None
        copies, bad = decode(data)
        if bad:
            logger.warning("segment %s: %d lines are not segment lines (their sessions are read one by one)", name, bad)
        return copies


def walk(entries: Iterator[tuple[str, str]], index: SegmentIndex) -> Iterator[tuple[str, str, bytes | None]]:
    """``(id, tag, copy or None)`` for each listed ``(id, tag)``, the copy from the segments."""
    for session_id, tag in entries:
        yield session_id, tag, index.find(session_id, tag)
