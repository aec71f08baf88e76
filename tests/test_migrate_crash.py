"""A migration killed with SIGKILL halfway and started again: complete, no duplicate, no torn record."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from session_core.stores.sqlite import SQLiteStore
from tests.test_migrate import REPO, all_records, fill_sqlite, run_migrate_process, url

N = 10_000


@pytest.mark.slow
def test_killed_halfway_then_restarted_completes_without_duplicates(tmp_path: Path):
    src = fill_sqlite(tmp_path / "src.db", N)
    dst = tmp_path / "dst.db"
    # one transaction per record, so the kill lands between or inside small writes
    proc = subprocess.Popen(
        [sys.executable, "-m", "session_core", "migrate", url("sqlite", src), url("sqlite", dst),
         "--batch-size", "1", "--progress", "lines"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("progress: ") and int(line.split()[1].split("/")[0]) >= N // 4:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the migration finished before it could be killed"

    with SQLiteStore(src) as s, SQLiteStore(dst) as d:
        expected = all_records(s)
        partial = all_records(d)  # decodes every record: a torn one would raise CorruptRecord
    assert 0 < len(partial) < N
    assert all(expected[session_id] == digest for session_id, digest in partial.items())

    restarted = run_migrate_process(url("sqlite", src), url("sqlite", dst), "--verify", "--json")
    assert restarted.returncode == 0, restarted.stderr
    summary = json.loads(restarted.stdout)
    assert summary["copied"] + summary["already_present"] == N
    assert (summary["failed"], summary["verified"]) == (0, summary["copied"])
    with SQLiteStore(dst) as d:
        assert all_records(d) == expected
    with sqlite3.connect(dst) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM sessions").fetchone() == (N, N)
    conn.close()

    again = run_migrate_process(url("sqlite", src), url("sqlite", dst), "--json")
    assert again.returncode == 0
    summary = json.loads(again.stdout)
    assert (summary["copied"], summary["already_present"]) == (0, N)
