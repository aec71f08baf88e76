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
_LINE = re.compile(rb'^\{"id":"([A-Za-z0-9_.-]+)","tag":"([^"\\]*)","record":')


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


def decode(data: bytes) -> dict[str, tuple[str, bytes]]:
    """``{id: (tag, record JSON)}`` of a segment's content.

    Raises:
        ValueError: a line is not a segment line (the segment is then not used at all).
    """
    copies: dict[str, tuple[str, bytes]] = {}
    for number, line in enumerate(data.splitlines(), 1):
        match = _LINE.match(line)
        if match is None or not line.endswith(b"}"):
            raise ValueError(f"line {number} is not a segment line: {line[:80]!r}")
        copies[match[1].decode()] = (match[2].decode(), line[match.end() : -1])
    return copies


class SegmentIndex:
    """The segments' copies, looked up by a caller walking ids in ascending order.

    Holds in memory only the segments whose id range contains the current id.

    Args:
        folder: the segments folder.
        names: the object names found in it (foreign names are ignored).
    """

    def __init__(self, folder: Folder, names: Iterable[str]) -> None:
        self._folder = folder
        found = [segment for name in names if (segment := parse_name(name)) is not None]
        self._pending = deque(sorted(found, key=lambda segment: segment.first))
        self._open: list[tuple[str, dict[str, tuple[str, bytes]]]] = []

    def __bool__(self) -> bool:
        return bool(self._pending or self._open)

    def find(self, session_id: str, tag: str) -> bytes | None:
        """The record copied for ``session_id`` at version ``tag``; ``None`` when no segment
        holds that version. Ids must be asked in ascending order."""
        while self._pending and self._pending[0].first <= session_id:
            segment = self._pending.popleft()
            if (copies := self._load(segment.name)) is not None:
                self._open.append((segment.last, copies))
        if self._open and any(last < session_id for last, _ in self._open):
            self._open = [(last, copies) for last, copies in self._open if last >= session_id]
        for _, copies in self._open:
            copy = copies.get(session_id)
            if copy is not None and copy[0] == tag:
                return copy[1]
        return None

    def _load(self, name: str) -> dict[str, tuple[str, bytes]] | None:
        data = self._folder.read(name)
        if data is None:  # removed since it was listed: the per-session objects remain
            return None
        try:
            return decode(data)
        except ValueError as exc:
            logger.warning("segment %s ignored (its sessions are read one by one): %s", name, exc)
            return None


def walk(entries: Iterator[tuple[str, str]], index: SegmentIndex) -> Iterator[tuple[str, str, bytes | None]]:
    """``(id, tag, copy or None)`` for each listed ``(id, tag)``, the copy from the segments."""
    for session_id, tag in entries:
        yield session_id, tag, index.find(session_id, tag) if index else None
