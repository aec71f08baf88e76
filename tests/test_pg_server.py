"""Without PostgreSQL's binaries the PostgreSQL tests skip with a hint, except in CI, where they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.pg_server import BIN_ENV

ROOT = Path(__file__).resolve().parent.parent
#: a test that needs the server, run in a child pytest where no binaries can be found
NEEDS_SERVER = "tests/test_postgres_store.py::test_url_schema_and_table_options_pick_the_table_that_is_written"


def run_without_binaries(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env[BIN_ENV] = str(tmp_path / "no-postgres-here")
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", NEEDS_SERVER, "-rs", "-p", "no:cacheprovider", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_without_binaries_the_tests_skip_saying_how_to_get_them(tmp_path: Path) -> None:
    done = run_without_binaries(tmp_path, ci=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "apt-get install postgresql" in done.stdout


def test_without_binaries_in_ci_the_tests_fail(tmp_path: Path) -> None:
    done = run_without_binaries(tmp_path, ci=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout
    assert "skipped" not in done.stdout
