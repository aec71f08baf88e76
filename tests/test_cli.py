"""``python -m session_core`` end to end, as real subprocesses in real git repositories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git_repos import git


@pytest.fixture
def cli(git_repo: Path, tmp_path: Path):
    """Run the CLI in ``git_repo`` with a private spool; returns CompletedProcess."""
    env = {**os.environ, "SESSION_CORE_SPOOL": str(tmp_path / "spool")}
    env.pop("SESSION_CORE_STORE", None)

    def run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "session_core", *args],
            cwd=git_repo, env=env, capture_output=True, text=True, timeout=120, check=check,
        )

    run.env = env
    run.spool = tmp_path / "spool"
    return run


def listed(cli) -> list[dict]:
    out = cli("list", "--json", "--limit", "0", check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_run_records_a_completed_session_that_list_and_show_display(cli, git_repo):
    done = cli("run", "--", sys.executable, "-c", "print('hello')")
    assert done.returncode == 0
    assert "hello" in done.stdout
    [record] = listed(cli)
    assert record["status"] == "completed"
    assert record["duration_s"] > 0
    assert record["git"]["commit_sha"] == git(git_repo, "rev-parse", "HEAD")
    assert record["git"]["branch"] == "main"
    assert record["git"]["dirty"] is False  # the default store keeps itself out of git
    assert record["cli"]["args"] == ["-c", "print('hello')"]
    table = cli("list", check=True).stdout
    assert record["session_id"] in table and "completed" in table
    shown = json.loads(cli("show", record["session_id"], check=True).stdout)
    assert shown == record


def test_a_failing_command_passes_its_exit_code_through_and_is_recorded_failed(cli):
    done = cli("run", "--", sys.executable, "-c", "import sys; sys.exit(7)")
    assert done.returncode == 7
    [record] = listed(cli)
    assert record["status"] == "failed"
    assert record["exit_code"] == 7


def test_a_missing_command_is_recorded_failed_with_exit_code_127(cli):
    done = cli("run", "--", "no-such-program-xyz")
    assert done.returncode == 127
    assert listed(cli)[0]["status"] == "failed"


def test_list_filters_by_status_and_branch_newest_first(cli, git_repo):
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    cli("run", "--", sys.executable, "-c", "raise SystemExit(1)")
    git(git_repo, "checkout", "-q", "-b", "feature")
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    records = listed(cli)
    assert [r["status"] for r in records] == ["completed", "failed", "completed"]
    assert [r["session_id"] for r in records] == sorted((r["session_id"] for r in records), reverse=True)
    failed = cli("list", "--json", "--status", "failed", check=True).stdout.splitlines()
    assert len(failed) == 1
    on_feature = cli("list", "--json", "--branch", "feature", check=True).stdout.splitlines()
    assert len(on_feature) == 1 and json.loads(on_feature[0])["git"]["branch"] == "feature"
    assert len(cli("list", "--json", "--limit", "2", check=True).stdout.splitlines()) == 2


def test_show_of_an_unknown_id_is_an_error_with_exit_code_1(cli):
    cli("run", "--", sys.executable, "-c", "pass", check=True)  # the store exists
    done = cli("show", "no-such-session")
    assert done.returncode == 1
    assert "no-such-session" in done.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_run_is_forwarded_and_recorded_as_interrupted(cli, git_repo, sig):
    script = "import time, sys; print('ready', flush=True); time.sleep(60)"
    process = subprocess.Popen(
        [sys.executable, "-m", "session_core", "run", "--", sys.executable, "-c", script],
        cwd=git_repo, env=cli.env, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(sig)
    assert process.wait(timeout=60) == 128 + sig
    [record] = listed(cli)
    assert record["status"] == "interrupted"
    assert record["exit_code"] == 128 + sig


def test_an_unwritable_store_keeps_the_run_alive_and_flush_delivers_later(cli, tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a regular file where the store's folder should be")
    store = f"sqlite:///{blocker}/runs.db"
    done = cli("run", "--store", store, "--", sys.executable, "-c", "print('still ran')")
    assert done.returncode == 0 and "still ran" in done.stdout
    assert "spool" in done.stderr
    [waiting] = list(cli.spool.glob("*.json"))
    assert json.loads(waiting.read_text())["record"]["status"] == "completed"

    assert cli("flush", "--store", store).returncode == 1  # still unwritable: counted as failed
    assert waiting.exists()

    blocker.unlink()
    blocker.mkdir()
    flushed = cli("flush", "--store", store)
    assert flushed.returncode == 0, flushed.stderr
    assert not waiting.exists()
    records = [json.loads(line) for line in cli("list", "--store", store, "--json", check=True).stdout.splitlines()]
    assert [r["status"] for r in records] == ["completed"]


def test_flush_leaves_records_meant_for_another_store(cli, tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("x")
    cli("run", "--store", f"sqlite:///{blocker}/runs.db", "--", sys.executable, "-c", "pass", check=True)
    done = cli("flush", check=True)
    assert "waiting for other stores 1" in done.stdout
    assert len(list(cli.spool.glob("*.json"))) == 1


def test_help_imports_no_backend_gitpython_or_fsspec():
    code = (
        "import sys, contextlib, io\n"
        "from session_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = [m for m in ('git', 'fsspec', 's3fs', 'duckdb', 'moto', 'session_core.stores.sqlite', 'sqlite3') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_bad_store_setting_is_a_clear_error(cli):
    done = cli("list", "--store", "bogus://x")
    assert done.returncode == 1
    assert "bogus" in done.stderr and "Accepted" in done.stderr


def test_a_run_killed_with_sigkill_stays_visible_as_running(cli, git_repo):
    script = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
    process = subprocess.Popen(
        [sys.executable, "-m", "session_core", "run", "--", sys.executable, "-c", script],
        cwd=git_repo, env=cli.env, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    command_pid = int(process.stdout.readline())
    os.killpg(process.pid, signal.SIGKILL)  # the wrapper dies without a word
    os.kill(command_pid, signal.SIGKILL)  # and its command (in a process group of its own)
    process.wait(timeout=60)
    [record] = listed(cli)
    assert record["status"] == "running"
    assert record["ended_at"] is None


@pytest.mark.parametrize("shadow", ["stores.py", "conformance.py"])
def test_a_user_module_named_like_our_folders_does_not_shadow_the_toolkit(cli, git_repo, shadow):
    """Our backends and suite install inside session_core, so a user's stores.py is only theirs."""
    (git_repo / shadow).write_text("raise SystemExit('the user module was imported')\n")
    done = cli("run", "--", sys.executable, "-c", "pass")
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in listed(cli)] == ["completed"]


def test_a_class_path_of_the_old_layout_names_the_new_one(cli):
    done = cli("list", "--store", "stores.sqlite:SQLiteStore")
    assert done.returncode != 0
    assert "session_core.stores.sqlite:SQLiteStore" in done.stderr
