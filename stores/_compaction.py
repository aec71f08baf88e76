"""Compaction of a JSON store: fold finished sessions and tombstones into segments, then remove
the per-session objects folded.

A compaction works in rounds of up to :data:`~._segments.SEGMENT_SIZE` sessions. Each round
reads the manifest, reads the listed objects (their content and its version tag), writes one
segment object, and commits it by a conditional write of the manifest: the write succeeds only
if no other compaction committed since this round read the manifest, so the round's reads all
come after every segment committed before it (a later manifest entry holds later versions).
A round whose commit fails deletes its segment and reads its sessions again. After the commit,
each folded object is removed only while it is still the version read (S3 ``DeleteObject``
with ``If-Match``; on a local folder, a check and remove under the folder's lock): a session
saved or deleted again meanwhile keeps its new object, which readers prefer to any segment.

Killed at any point, a compaction leaves the store complete: before the commit nothing a reader
uses has changed (an uncommitted segment object is never read); after it, every session is in
the new segment, in its object, or both.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from session_core.kinds import Status

from ._fsspec import TOMBSTONE, Folder
from ._segment_merge import merge_small, remove_retired
from ._segments import (
    MANIFEST_NAME,
    SEGMENT_SIZE,
    Manifest,
    SegmentRef,
    encode,
    encode_ids,
    encode_manifest,
    ids_name,
    new_name,
    read_manifest,
)

logger = logging.getLogger(__name__)

#: How many per-session objects a compaction reads at once.
READ_PAGE = 100
#: How many listed names a compaction holds in memory at most (a local folder's listing is
#: sorted in runs of this size beyond it): what keeps its memory flat as the store grows.
LISTING_HELD = 50_000
#: How many times a round is read again after another compaction committed first.
COMMIT_ATTEMPTS = 5


class CompactionConflict(RuntimeError):
    """Other compactions kept committing first, :data:`COMMIT_ATTEMPTS` times in a row."""


@dataclass
class Compaction:
    """What one compaction did.

    Attributes:
        folded: sessions copied into new segments (deletions included).
        deleted: of those, deletions (tombstones folded).
        segments: segment objects committed.
        skipped: sessions left in their objects: still running (they will change) or not
            readable as JSON (reads keep reporting them from their object, as before).
        kept: folded objects not removed because they changed after they were read (they win
            over their segment copy; the next compaction folds them).
        retried: rounds read again because another compaction committed first.
        merged: merges of small segments committed (see :mod:`._segment_merge`).
    """

    folded: int = 0
    deleted: int = 0
    segments: int = 0
    skipped: int = 0
    kept: int = 0
    retried: int = 0
    merged: int = 0


def compact(
    names: Iterator[str], sessions: Folder, segments: Folder, segment_size: int = SEGMENT_SIZE
) -> Compaction:
    """Fold every listed finished session and tombstone into segments, round by round.

    Args:
        names: the listed per-session object names, ascending (foreign names left out); a
            listing made before a round's manifest read is fine: only contents read after it
            are folded.
        sessions: the folder of per-session objects.
        segments: the folder the segments and the manifest go to.

    Raises:
        CompactionConflict: other compactions committed first every time.
        NotImplementedError: the filesystem has no conditional writes (only local folders and S3 do).
        OSError (or the filesystem's own errors): a read or write failed; rounds committed stay.
    """
    done = Compaction()
    while round_names := list(islice(names, segment_size)):
        for attempt in range(COMMIT_ATTEMPTS):
            manifest = read_manifest(segments)
            batch, skipped = _read_round(round_names, sessions)
            if not batch:
                done.skipped += skipped
                break
            if _commit(segments, manifest, batch):
                done.skipped += skipped
                done.segments += 1
                done.folded += len(batch)
                done.deleted += sum(data is None for _, _, data in batch)
                done.kept += _remove_folded(sessions, batch)
                break
            done.retried += 1
            logger.info("compaction: another compaction committed first; reading %d sessions again", len(round_names))
        else:
            raise CompactionConflict(f"other compactions committed first {COMMIT_ATTEMPTS} times in a row")
    done.merged = merge_small(segments)
    remove_retired(segments)
    return done


def _read_round(names: list[str], sessions: Folder) -> tuple[list[tuple[str, str, bytes | None]], int]:
    """``(id, tag, record or None for a tombstone)`` of the foldable sessions among ``names``,
    read now, and how many were skipped (running or unreadable; gone ones are not counted)."""
    batch: list[tuple[str, str, bytes | None]] = []
    skipped = 0
    pages = iter(names)
    while page := list(islice(pages, READ_PAGE)):
        for session_id, data, tag in sessions.read_tagged(page):
            if data == TOMBSTONE:
                batch.append((session_id, tag, None))
            elif is_finished(data):
                batch.append((session_id, tag, data))
            else:
                skipped += 1
    return batch, skipped


def _commit(segments: Folder, manifest: Manifest, batch: list[tuple[str, str, bytes | None]]) -> bool:
    """Write the segment and add it to the manifest, conditionally on the manifest read;
    ``False`` (the segment object removed again) when another compaction committed first."""
    first, last = batch[0][0], batch[-1][0]
    name = new_name(first, last)
    copies = [(session_id, data) for session_id, _, data in batch]
    segments.write_many({name: encode(copies), ids_name(name): encode_ids(copies)})
    ref = SegmentRef(name, first, last, len(batch))
    if segments.write_if(MANIFEST_NAME, encode_manifest((*manifest.segments, ref), manifest.retired), manifest.tag):
        logger.info("compaction: committed segment %s (%d sessions)", name, len(batch))
        return True
    segments.remove(name)
    segments.remove(ids_name(name))
    return False


def _remove_folded(sessions: Folder, batch: list[tuple[str, str, bytes | None]]) -> int:
    """Remove each folded object that is still the version folded; how many were kept."""
    return sessions.remove_many_if([(session_id, tag) for session_id, tag, _ in batch])


def is_finished(data: bytes | str) -> bool:
    """False for a record whose top-level ``status`` is ``running`` (it will change) and for one
    not readable as JSON; true for every other record (a status is only looked at, never
    guessed from the text: ``"running"`` in a parameter or a note does not count)."""
    try:
        record = json.loads(data)
    except ValueError:
        return False
    return not (isinstance(record, dict) and record.get("status") == Status.RUNNING)
