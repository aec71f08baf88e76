"""Merging small segments, and removing the ones merges replaced, so that segments stay few.

A store compacted often (``compact_every=10``, say) gains a small segment per compaction, and
every read of the whole store costs a request per segment. Merges are size-tiered, as LSM
stores do it: when the newest :data:`MERGE_AT` segments of the manifest are all of one size
tier (up to 8, 64, 512, ... sessions), they are rewritten as one segment, the newest copy of
each session kept, which takes their place in the manifest by a conditional write (a merge that
loses the race to a compaction is dropped, and tried again by a later one). Each session is
rewritten about log8(10,000) = 4-5 times on its way into a full segment, and a store holds at
most ``MERGE_AT`` segments per tier beside its full ones.

Replaced segments stay readable for :data:`RETIRE_AFTER` seconds (a reader that read the
manifest before the merge may still read them), and a later compaction removes them, with the
segment objects of compactions killed before their commit (no manifest names them; their names
say when they were made).
"""

from __future__ import annotations

import logging
import math
import time

from ._fsspec import Folder
from ._segments import (
    MANIFEST_NAME,
    SEGMENT_SIZE,
    Manifest,
    SegmentRef,
    Segments,
    encode,
    encode_ids,
    encode_manifest,
    ids_name,
    made_at,
    new_name,
    read_manifest,
    segment_of,
)

logger = logging.getLogger(__name__)

#: How many segments of one tier are merged into one.
MERGE_AT = 8
#: Seconds a replaced segment stays readable before a compaction removes it.
RETIRE_AFTER = 3600.0


def tier(sessions: int) -> int:
    """The size tier of a segment: 0 up to 8 sessions, 1 up to 64, 2 up to 512, ..."""
    return max(0, math.ceil(math.log(max(sessions, 1), MERGE_AT)) - 1) if sessions > 1 else 0


def merge_small(folder: Folder) -> int:
    """Merge the newest segments while :data:`MERGE_AT` of one tier end the manifest; how many
    merges were committed."""
    merges = 0
    while True:
        manifest = read_manifest(folder)
        run = manifest.segments[-MERGE_AT:]
        if (
            len(run) < MERGE_AT
            or len({tier(ref.sessions) for ref in run}) != 1
            or sum(ref.sessions for ref in run) > SEGMENT_SIZE
        ):
            return merges
        start = len(manifest.segments) - MERGE_AT
        if not _merge(folder, manifest, start):
            return merges
        merges += 1


def _merge(folder: Folder, manifest: Manifest, start: int) -> bool:
    """Replace ``manifest.segments[start:]`` by one segment holding each session's newest copy
    (deletions kept unless no older segment remains for them to hide)."""
    run = manifest.segments[start:]
    keep_deletions = start > 0
    copies = [
        (session_id, None if record is None else record.encode("utf-8"))
        for session_id, record in Segments(folder, Manifest(run)).current()
        if record is not None or keep_deletions
    ]
    if not copies:
        merged: tuple[SegmentRef, ...] = ()
    else:
        name = new_name(copies[0][0], copies[-1][0])
        folder.write_many({name: encode(copies), ids_name(name): encode_ids(copies)})
        merged = (SegmentRef(name, copies[0][0], copies[-1][0], len(copies)),)
    now = time.time()
    retired = (*manifest.retired, *((ref.name, now) for ref in run))
    if folder.write_if(MANIFEST_NAME, encode_manifest((*manifest.segments[:start], *merged), retired), manifest.tag):
        logger.info("compaction: merged %d segments into %d sessions", len(run), len(copies))
        return True
    for ref in merged:  # a compaction committed meanwhile: drop this merge, a later one redoes it
        folder.remove(ref.name)
        folder.remove(ids_name(ref.name))
    return False


def remove_retired(folder: Folder) -> int:
    """Remove the segments merges replaced more than :data:`RETIRE_AFTER` seconds ago, then
    drop them from the manifest (conditionally; a lost race leaves them listed for the next
    compaction, whose removal finds them gone); and remove the segment objects no manifest
    ever named (written by a compaction killed before its commit) once that old. How many
    objects were removed."""
    manifest = read_manifest(folder)
    cutoff = time.time() - RETIRE_AFTER
    due = [name for name, at in manifest.retired if at < cutoff]
    named = {ref.name for ref in manifest.segments} | {name for name, _ in manifest.retired}
    orphans = [
        name for name in folder.names()
        if (made := made_at(name)) is not None and made < cutoff
        and segment_of(name) not in named
    ]
    for name in due:
        folder.remove(name)
        folder.remove(ids_name(name))
    for name in orphans:
        folder.remove(name)
    if due:
        still = [(name, at) for name, at in manifest.retired if at >= cutoff]
        folder.write_if(MANIFEST_NAME, encode_manifest(manifest.segments, still), manifest.tag)
    if orphans:
        logger.info("compaction: removed %d segment objects a killed compaction left", len(orphans))
    return 2 * len(due) + len(orphans)
