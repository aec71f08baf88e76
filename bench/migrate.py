"""Migrate and list at growing store sizes: throughput, and peak memory that must stay flat.

``python -m session_core migrate SRC DST`` copies a SQLite store of N sessions into a new
SQLite store, in a subprocess; its throughput is shown beside a raw copy (stream rows, decode,
encode, ``executemany`` in one transaction) of the same store. Peak memory is the peak RSS of
the subprocess (``getrusage(RUSAGE_CHILDREN)`` read by a wrapper process that runs only that
command), for ``migrate`` and for ``list`` (which reads every id); the figure at the largest
size is shown beside the figure at the smallest, target at most 1.2 times.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .backends import builtin_spec
from .core import Figure, Target, timed
from .records import sample_records
from .settings import Settings

FLAT = Target("ratio", "<=", 1.2)

_PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if done.returncode:
    sys.exit(done.stderr.decode(errors="replace")[-2000:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mib(argv: list[str], cwd: Path) -> tuple[float, float]:
    """``(seconds, peak RSS in MiB)`` of one run of ``argv`` in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSION_CORE")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, *argv], cwd=cwd, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv[:4])} failed: {done.stderr}")
    return elapsed, int(done.stdout.strip()) / 1024  # ru_maxrss is in KiB on Linux


def raw_copy(src: Path, dst: Path) -> int:
    """The raw limit: stream every row, decode and re-encode it, insert all in one transaction."""
    source = sqlite3.connect(src)
    target = sqlite3.connect(dst, isolation_level=None)
    target.execute("PRAGMA journal_mode = WAL")
    target.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL)")
    target.execute("BEGIN IMMEDIATE")
    rows = source.execute("SELECT id, record FROM sessions ORDER BY id")
    target.executemany("INSERT INTO sessions VALUES (?, ?)",
                       ((sid, json.dumps(json.loads(text))) for sid, text in rows))
    target.execute("COMMIT")
    count = target.execute("SELECT count(*) FROM sessions").fetchone()[0]
    source.close()
    target.close()
    return count


def run(settings: Settings, backends: list, workdir: Path) -> list[Figure]:
    figures: list[Figure] = []
    peaks: dict[str, dict[int, float]] = {"migrate": {}, "list": {}}
    for size in settings.migrate_sizes:
        root = Path(tempfile.mkdtemp(prefix=f"migrate-{size}-", dir=workdir))
        (root / "pyproject.toml").write_text('[project]\nname = "bench-migrate"\n')
        src = root / "src.db"
        with builtin_spec("sqlite", src).open() as store:
            store.write_many(sample_records(size))
        migrate_s, peaks["migrate"][size] = peak_rss_mib(
            ["-m", "session_core", "migrate", f"sqlite:///{src}", f"sqlite:///{root / 'dst.db'}",
             "--progress", "none"], root)
        with builtin_spec("sqlite", root / "dst.db").open() as store:
            copied = sum(1 for _ in store.session_ids())
        if copied != size:
            raise AssertionError(f"migrate copied {copied} of {size} sessions")
        raw_s, raw_count = timed(lambda: raw_copy(src, root / "raw.db"))
        _, peaks["list"][size] = peak_rss_mib(
            ["-m", "session_core", "list", "--store", f"sqlite:///{src}", "--limit", "20"], root)
        figures.append(Figure("migrate/sqlite", "migrate throughput", size / migrate_s,
                              raw_count / raw_s, "rec/s", None, size,
                              note="whole process (start-up included) beside a raw in-process copy"))
    small, large = min(settings.migrate_sizes), max(settings.migrate_sizes)
    for command, by_size in peaks.items():
        figures.append(Figure("migrate/sqlite", f"{command} peak RSS", by_size[large], by_size[small],
                              "MiB", FLAT, large,
                              note=f"peak RSS at {large:,} sessions beside {small:,}"))
    return figures
