"""A PostgreSQL server that goes away during a wrapped run: the run goes on, the record waits.

``python -m session_core run`` saves the ``running`` record at the start; the server is then
stopped while the command runs, so the final save fails; the run must still exit 0 with its
record in the spool, and ``flush`` after the restart must deliver it exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from session_core.stores.postgres import PostgresStore
from tests.pg_server import PASSWORD, PASSWORD_ROLE, PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

#: The wrapped command: says it started, then waits for the test's go-ahead.
WAITING_COMMAND = """
import os, sys, time
open(sys.argv[1], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
print("command finished")
"""
WAIT_S = 120


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            out, err = process.communicate(timeout=WAIT_S)
            raise AssertionError(f"the run never started its command ({process.returncode}):\n{out}\n{err}")
        time.sleep(0.05)


def test_server_stopped_during_a_run_spools_the_record_and_flush_delivers_it_once(
    pg_server: PostgresServer, git_repo: Path, tmp_path: Path
) -> None:
    url = pg_server.url(PASSWORD_ROLE, password=PASSWORD, schema=f"t_{uuid.uuid4().hex[:16]}")
    spool = tmp_path / "spool"
    env = {**os.environ, "SESSION_CORE_SPOOL": str(spool)}
    env.pop("SESSION_CORE_STORE", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "session_core", *args], cwd=git_repo, env=env,
                              capture_output=True, text=True, timeout=WAIT_S)

    started, go = tmp_path / "started", tmp_path / "go"
    run = subprocess.Popen(
        [sys.executable, "-m", "session_core", "run", "--store", url, "--",
         sys.executable, "-c", WAITING_COMMAND, str(started), str(go)],
        cwd=git_repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(started, run)
        with PostgresStore(url) as store:
            [(session_id, running)] = list(store.iter_records())
        assert running["status"] == "running"
        pg_server.stop()
        go.touch()
        out, err = run.communicate(timeout=WAIT_S)
    finally:
        if run.poll() is None:
            run.kill()
        pg_server.start()

    assert run.returncode == 0, err
    assert "command finished" in out
    [waiting] = list(spool.glob("*.json"))
    spooled = json.loads(waiting.read_text())
    assert spooled["record"]["session_id"] == session_id
    assert spooled["record"]["status"] == "completed"
    assert PASSWORD not in waiting.read_text() + out + err

    flushed = cli("flush", "--store", url)
    assert flushed.returncode == 0, flushed.stderr
    assert PASSWORD not in flushed.stdout + flushed.stderr
    assert list(spool.glob("*.json")) == []
    again = cli("flush", "--store", url)
    assert again.returncode == 0 and again.stdout.startswith("sent 0"), again.stdout
    with PostgresStore(url) as store:
        records = list(store.iter_records())
    assert [(sid, record["status"]) for sid, record in records] == [(session_id, "completed")]
