"""The bench harness runs end to end in its smoke mode and reports every figure with its limit.

No timing is asserted (speed is shown by ``python -m bench``, never by tests); what is checked
is that each suite produces its figures, each figure beside its raw limit as a ratio, the JSON
and the plot, and the figures that are counts rather than timings (imports, subprocesses, S3
requests, errors) hold.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    ("startup", "python -c pass, editable dev venv"),
    ("startup", "import session_core"),
    ("startup", "python -m session_core --help"),
    ("startup", "python -m session_core list (empty store)"),
    ("startup", "python -m session_core list"),
    ("startup", "python -m session_core run -- true"),
    ("startup", "raw recorder (git status, true, two SQLite saves)"),
    ("startup/split", "git status"),
    ("startup/split", "two saves (open, write, write, close)"),
    ("startup", "heavy modules imported by --help"),
    ("git", "collect_git (sha, branch, dirty)"),
    ("git", "subprocesses per collection"),
    ("git", "collect_git rich (GitPython, import excluded)"),
    ("lifecycle/none", "session own cost (no-op store, git off)"),
    ("lifecycle/sqlite", "single save (open, write, close)"),
    ("lifecycle/sqlite", "session lifecycle, git off"),
    ("lifecycle/sqlite", "session lifecycle, git on"),
    ("bulk/sqlite", "batch write"),
    ("bulk/sqlite", "list ids"),
    ("bulk/sqlite", "load all"),
    ("concurrent/sqlite", "4 processes saving"),
    ("concurrent/sqlite", "errors and missing records"),
    ("s3", "requests per save"),
    ("s3", "requests per load"),
    ("s3", "batch write"),
    ("s3", "load all"),
    ("migrate/sqlite", "migrate throughput"),
    ("migrate/sqlite", "migrate peak RSS"),
    ("migrate/sqlite", "list peak RSS"),
    ("history/sqlite", "query group by"),
    ("history/sqlite", "list --since 1d"),
    ("history/sqlite", "export peak RSS"),
    ("history/sqlite", "run -- true, heartbeat on"),
    ("scale/sqlite", "python -m session_core list"),
    ("scale/sqlite", "list --json"),
    ("scale/sqlite", "list newest 20, beside 10 sessions"),
    ("scale/sqlite", "run -- true, beside an empty store"),
    ("ui/sqlite", "runs page 1 (50 rows), server time"),
    ("ui/sqlite", "runs page after the middle id (50 rows)"),
}
#: figures that are counts, not timings: they hold on any machine
EXACT = {
    ("startup", "heavy modules imported by --help"): 0,
    ("git", "subprocesses per collection"): 1,
    ("s3", "requests per save"): 1,
    ("s3", "requests per load"): 1,
    ("concurrent/sqlite", "errors and missing records"): 0,
}


def test_quick_bench_reports_every_figure_beside_its_limit(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--backends", "sqlite", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["settings"]["skipped"] == {}
    figures = {(f["group"], f["name"]): f for f in report["figures"]}
    assert EXPECTED <= set(figures), sorted(EXPECTED - set(figures))
    for key, figure in figures.items():
        assert math.isfinite(figure["value"]), key
        if figure["limit"] is not None:
            assert figure["limit"] > 0, key
            assert math.isclose(figure["ratio"], figure["value"] / figure["limit"]), key
        if figure["target"] is not None:
            assert isinstance(figure["met"], bool), key
        assert f"{key[0]}: {key[1]}" in done.stdout, key
    for key, expected in EXACT.items():
        assert figures[key]["value"] == expected, (key, figures[key])
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG")
