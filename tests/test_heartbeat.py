"""Heartbeats: a running session refreshes heartbeat_at; a SIGKILLed run reads as lost."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from session_core.config import parse_store
from session_core.errors import ConfigError
from session_core.heartbeat import ENV_HEARTBEAT, resolve_interval
from session_core.session import Session


def memory_store(tmp_path: Path):
    return parse_store(f"memory://beat-{tmp_path.name}", {}, tmp_path)


def test_a_session_refreshes_its_heartbeat_while_open(tmp_path):
    spec = memory_store(tmp_path)
    with Session.create(tmp_path, store=spec, git=False, heartbeat=0.05, spool_dir=tmp_path / "spool") as session:
        first = spec.open().load(session.session_id)
        assert first["heartbeat_s"] == 0.05 and first["heartbeat_at"] == first["started_at"]
        deadline = time.monotonic() + 30
        while spec.open().load(session.session_id)["heartbeat_at"] == first["heartbeat_at"]:
            assert time.monotonic() < deadline, "no heartbeat arrived"
            time.sleep(0.02)
    final = spec.open().load(session.session_id)
    assert final["status"] == "completed"


def test_heartbeat_zero_writes_no_heartbeat(tmp_path):
    spec = memory_store(tmp_path)
    with Session.create(tmp_path, store=spec, git=False, heartbeat=0, spool_dir=tmp_path / "spool") as session:
        assert "heartbeat_at" not in spec.open().load(session.session_id)


def test_no_beat_lands_after_the_final_record(tmp_path):
    spec = memory_store(tmp_path)
    for _ in range(20):
        with Session.create(tmp_path, store=spec, git=False, heartbeat=0.001, spool_dir=tmp_path / "s") as session:
            time.sleep(0.003)
        time.sleep(0.01)
        assert spec.open().load(session.session_id)["status"] == "completed"


def test_a_failing_heartbeat_never_fails_the_run(tmp_path, caplog):
    spec = parse_store(f"file://{tmp_path}/store", {}, tmp_path)
    session = Session.create(tmp_path, store=spec, git=False, heartbeat=0.01, spool_dir=tmp_path / "spool")
    sessions = tmp_path / "store" / "sessions"
    saved = tmp_path / "saved"
    sessions.rename(saved)
    sessions.write_text("a file where the folder was: every write fails\n")
    time.sleep(0.3)  # about 30 failing beats
    sessions.unlink()
    saved.rename(sessions)
    result = session.run(lambda: 42)
    session.close()
    assert result == 42
    assert spec.open().load(session.session_id)["status"] == "completed"
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "heartbeat" in r.getMessage()]
    assert len(warnings) == 1  # reported once, not once per beat


def test_interval_resolution_order(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_HEARTBEAT, raising=False)
    assert resolve_interval(None, tmp_path) == 30.0
    (tmp_path / "pyproject.toml").write_text("[tool.session_core]\nheartbeat = 12\n")
    assert resolve_interval(None, tmp_path) == 12.0
    monkeypatch.setenv(ENV_HEARTBEAT, "7.5")
    assert resolve_interval(None, tmp_path) == 7.5
    assert resolve_interval(0, tmp_path) == 0.0


@pytest.mark.parametrize("bad", ["-1", "soon", "nan"])
def test_a_bad_heartbeat_setting_names_the_setting(tmp_path, monkeypatch, bad):
    monkeypatch.setenv(ENV_HEARTBEAT, bad)
    with pytest.raises(ConfigError) as caught:
        resolve_interval(None, tmp_path)
    assert caught.value.setting == ENV_HEARTBEAT


@pytest.mark.slow
def test_a_sigkilled_run_shows_as_lost_in_list_within_seconds(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SESSION_CORE_STORE"}
    env["SESSION_CORE_SPOOL"] = str(tmp_path / "spool")
    store = ["--store", f"sqlite:///{tmp_path}/runs.db"]
    runner = subprocess.Popen(
        [sys.executable, "-m", "session_core", "run", *store, "--no-git", "--heartbeat", "1", "--", "sleep", "60"],
        cwd=tmp_path, env=env, start_new_session=True,
    )

    def listed(*filters: str) -> list[dict]:
        out = subprocess.run([sys.executable, "-m", "session_core", "list", *store, "--json", *filters],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        return [json.loads(line) for line in out.stdout.splitlines()]

    try:
        deadline = time.monotonic() + 60
        while not listed("--status", "running"):
            assert time.monotonic() < deadline, "the run never showed as running"
            time.sleep(0.2)
        import psutil

        command = psutil.Process(runner.pid).children(recursive=True)  # `sleep 60`, in a group of its own
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=30)
        killed_at = time.monotonic()
        while not listed("--status", "lost"):
            assert time.monotonic() - killed_at < 30, "the killed run did not read as lost"
            time.sleep(0.5)
        [record] = listed()
        assert record["status"] == "lost"
    finally:
        runner.kill()
        for child in locals().get("command", []):
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()  # the orphaned `sleep 60`
