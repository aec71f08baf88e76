"""The spool writes with the one atomic-write helper and is swept by the one stale-temp sweeper."""

from __future__ import annotations

import os
import time
from pathlib import Path

from session_core import spool
from session_core.atomic import STALE_AFTER, temp_name

TARGET = spool.target_of("session_core.stores.sqlite:SQLiteStore", "/somewhere/runs.db")


def test_a_spooled_record_reads_back_with_its_target_and_error(tmp_path: Path) -> None:
    record = {"session_id": "run-1", "status": "completed"}
    spool.put(tmp_path, TARGET, record, "S3 blip")
    (entry,) = spool.entries(tmp_path)
    assert (entry.session_id, entry.target, entry.record, entry.error) == ("run-1", TARGET, record, "S3 blip")


def test_listing_the_spool_sweeps_temp_files_of_killed_writers_and_keeps_recent_ones(tmp_path: Path) -> None:
    spool.put(tmp_path, TARGET, {"session_id": "run-1"}, "down")
    stale = tmp_path / temp_name("run-2.json")
    recent = tmp_path / temp_name("run-3.json")
    for left in (stale, recent):
        left.write_text('{"torn')
    old = time.time() - STALE_AFTER - 60
    os.utime(stale, (old, old))

    assert [entry.session_id for entry in spool.entries(tmp_path)] == ["run-1"]
    assert not stale.exists()
    assert recent.exists()  # may belong to a write in progress
