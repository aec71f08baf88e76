"""Compaction of a JSON store: fold finished sessions not yet in a segment into new segments.

Only new segment objects are written, each in one atomic write (a PUT, or a local temporary
file renamed into place); nothing is ever deleted or rewritten. A compaction killed at any point
therefore leaves whole segments or none, and two compactions at once may copy the same sessions
twice, which readers tolerate (see :mod:`session_core.stores._segments`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from session_core.kinds import Status

from ._fsspec import Folder
from ._segments import SEGMENT_SIZE, SegmentIndex, encode, new_name, walk

logger = logging.getLogger(__name__)

#: How many per-session objects a compaction reads at once.
READ_PAGE = 100
#: How many listed names a compaction holds in memory at most (a local folder's listing is
#: sorted in runs of this size beyond it): what keeps its memory flat as the store grows.
LISTING_HELD = 50_000


@dataclass
class Compaction:
    """What one compaction did.

    Attributes:
        folded: sessions copied into new segments.
        segments: segment objects written.
        skipped: sessions left out: still running (they will change) or not readable as JSON
            (reads keep reporting them from their object, as before compaction).
        already: sessions whose current version a segment already held.
    """

    folded: int = 0
    segments: int = 0
    skipped: int = 0
    already: int = 0


def compact(
    entries: Iterator[tuple[str, str]], sessions: Folder, segments: Folder, segment_size: int = SEGMENT_SIZE
) -> Compaction:
    """Copy every finished session whose current version no segment holds into new segments.

    Args:
        entries: the listed ``(session id, version tag)`` of the per-session objects, in
            ascending id order (foreign names already left out).
        sessions: the folder of per-session objects.
        segments: the folder the segments go to.

    Raises:
        NotImplementedError: the filesystem gives no version tags (only local folders and S3 do).
        OSError (or the filesystem's own errors): a read or write failed; segments already
            written stay, and are valid.
    """
    done = Compaction()

    def missing() -> Iterator[str]:
        for session_id, _, copy in walk(entries, SegmentIndex(segments, segments.names())):
            if copy is None:
                yield session_id
            else:
                done.already += 1

    ids = missing()
    batch: list[tuple[str, str, bytes]] = []
    while page := list(islice(ids, READ_PAGE)):
        for session_id, data, tag in sessions.read_tagged(page):
            if not is_finished(data):
                done.skipped += 1
                continue
            batch.append((session_id, tag, data))
            if len(batch) >= segment_size:
                _write_segment(segments, batch, done)
                batch = []
    if batch:
        _write_segment(segments, batch, done)
    return done


def is_finished(data: bytes | str) -> bool:
    """False for a record whose top-level ``status`` is ``running`` (it will change) and for one
    not readable as JSON; true for every other record (a status is only looked at, never
    guessed from the text: ``"running"`` in a parameter or a note does not count)."""
    try:
        record = json.loads(data)
    except ValueError:
        return False
    return not (isinstance(record, dict) and record.get("status") == Status.RUNNING)


def _write_segment(segments: Folder, batch: list[tuple[str, str, bytes]], done: Compaction) -> None:
    name = new_name(batch[0][0], batch[-1][0])
    segments.write(name, encode(batch))
    done.segments += 1
    done.folded += len(batch)
    logger.info("compaction: wrote segment %s (%d sessions)", name, len(batch))
