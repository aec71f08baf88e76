"""Migrate throughput and peak memory, for the bench harness (``bench/``).

:func:`measure_migrate` fills a source store with ``n`` realistic records, then runs
``python -m session_core migrate SRC DST`` in a fresh process and reads that process's peak
resident memory from the OS (``ru_maxrss`` of the waited child, via ``os.wait4``), so the figure
is the migration's own and not the harness's. A flat-memory migration shows the same peak at
10,000 and 100,000 sessions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: Where each kind of store lives inside the work folder, as a URL for the command line.
STORE_URLS = {
    "sqlite": "sqlite:///{folder}/sessions.db",
    "duckdb": "duckdb:///{folder}/sessions.duckdb",
    "json": "file://{folder}/json-store",
}


@dataclass(frozen=True)
class MigrateBenchResult:
    """One measured migration."""

    sessions: int
    src: str
    dst: str
    seconds: float
    sessions_per_s: float
    peak_rss_mb: float
    copied: int
    failed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _record(session_id: str, i: int) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "package_name": "bench",
        "project_path": f"/projects/bench-{i % 10}",
        "username": "bench",
        "cli": {"args": ["--env", "prod"], "params": {"lr": i / 1000, "epochs": i % 50},
                "command_name": "run", "command_path": "kedro run"},
        "git": {"commit_sha": f"{i:040x}", "branch": "main", "dirty": i % 3 == 0},
        "status": "completed",
        "started_at": "2026-01-01T00:00:00+00:00",
        "ended_at": "2026-01-01T00:01:00+00:00",
        "duration_s": 60.0 + i % 7,
        "host": "bench-host",
    }


def fill_source(spec_url: str, n: int, project: Path) -> None:
    """Write ``n`` records into the store at ``spec_url`` in batches."""
    from session_core.config import parse_store
    from session_core.ids import new_session_id

    with parse_store(spec_url, None, project).open() as store:
        store.write_many((sid, _record(sid, i)) for i, sid in ((i, new_session_id()) for i in range(n)))


def measure_migrate(
    n: int = 100_000,
    workdir: Path | str | None = None,
    src: str = "sqlite",
    dst: str = "sqlite",
    verify: bool = False,
) -> MigrateBenchResult:
    """Fill a ``src`` store with ``n`` sessions under ``workdir``, migrate it into a new ``dst``
    store in a child process, and return sessions per second and the child's peak RSS.

    ``src``/``dst`` are keys of :data:`STORE_URLS`. Raises ``RuntimeError`` when the
    migration did not exit cleanly (its stderr is included).
    """
    import tempfile

    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="migrate-bench-"))
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "dst").mkdir(parents=True, exist_ok=True)
    src_url = STORE_URLS[src].format(folder=folder / "src")
    dst_url = STORE_URLS[dst].format(folder=folder / "dst")
    fill_source(src_url, n, folder)
    argv = [sys.executable, "-m", "session_core", "migrate", src_url, dst_url, "--json", "--progress", "none"]
    if verify:
        argv.append("--verify")
    started = time.perf_counter()
    with open(folder / "migrate.out", "w+b") as out, open(folder / "migrate.err", "w+b") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=folder)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"migrate exited with {proc.returncode}: {stderr[-2000:]}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    peak_kib = usage.ru_maxrss  # KiB on Linux
    return MigrateBenchResult(
        sessions=n,
        src=src,
        dst=dst,
        seconds=round(seconds, 3),
        sessions_per_s=round(n / seconds, 1),
        peak_rss_mb=round(peak_kib / 1024, 1),
        copied=summary["copied"],
        failed=summary["failed"],
    )
