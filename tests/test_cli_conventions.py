"""Command-line conventions: --version, global options anywhere, the program's own name, the
configuration order in --help, show by id prefix, flush naming its stores, stdout for output only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.test_cli import cli, listed  # noqa: F401  (the fixture)

PROJECT = Path(__file__).resolve().parents[1]


def test_version_prints_the_installed_version(cli):
    from session_core import __version__

    done = cli("--version", check=True)
    assert done.stdout.split() == ["python", "-m", "session_core", __version__]


def test_the_console_script_names_itself_in_its_usage(tmp_path):
    script = Path(sys.executable).with_name("session-core")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.startswith("usage: session-core ")
    assert "python -m session_core" not in done.stdout
    assert subprocess.run([str(script), "list", "--help"], capture_output=True, text=True, timeout=120,
                          check=True).stdout.startswith("usage: session-core list")


def test_global_options_work_before_and_after_the_subcommand(cli, tmp_path):
    store = f"sqlite:///{tmp_path}/elsewhere.db"
    cli("--store", store, "run", "--", sys.executable, "-c", "pass", check=True)
    cli("run", "--store", store, "--", sys.executable, "-c", "pass", check=True)
    before = cli("--store", store, "list", "--json", check=True).stdout.splitlines()
    after = cli("list", "--json", "--store", store, check=True).stdout.splitlines()
    assert len(before) == len(after) == 2
    default = cli("list", "--json")
    assert default.returncode != 0 and "nothing stored at" in default.stderr  # nothing went to the default store


def test_store_options_before_and_after_the_subcommand_add_up(cli, tmp_path):
    done = cli("--store", f"sqlite:///{tmp_path}/x.db", "--store-arg", "timeout=5",
               "list", "--store-arg", "no_such_option=1")
    assert done.returncode != 0
    assert "no_such_option" in done.stderr


def test_verbose_logs_go_to_stderr_and_stdout_stays_the_output(cli):
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    done = cli("-v", "list", "--json", "-vv", check=True)
    [record] = [json.loads(line) for line in done.stdout.splitlines()]
    assert record["status"] == "completed"


def test_logging_set_up_before_the_entry_point_still_goes_to_stderr(cli, git_repo, tmp_path):
    """A library may configure logging onto stdout before our entry point runs: the wrapped
    command's output must stay alone on stdout, our log lines go to stderr."""
    blocker = tmp_path / "blocked"
    blocker.write_text("a regular file where the store's folder should be")  # the store fails: a log line
    code = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, level=logging.DEBUG)\n"
        "from session_core.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "--store", f"sqlite:///{blocker}/runs.db", "--",
         sys.executable, "-c", "print('only this')"],
        cwd=git_repo, env=cli.env, capture_output=True, text=True, timeout=120, check=True,
    )
    assert done.stdout == "only this\n"
    assert "spool" in done.stderr


def test_help_shows_the_whole_configuration_order_kedro_included(cli):
    for args in (["--help"], ["list", "--help"]):
        text = cli(*args, check=True).stdout
        order = [text.index(step) for step in (
            "--store", "SESSION_CORE_STORE", "[tool.session_core]", "SESSION_STORE_CLASS", ".session_core/sessions.db",
        )]
        assert order == sorted(order)


def test_show_accepts_a_unique_prefix_of_an_id(cli):
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    [record] = listed(cli)
    prefix = record["session_id"][:-4]
    shown = json.loads(cli("show", prefix, check=True).stdout)
    assert shown["session_id"] == record["session_id"]


def test_show_with_an_ambiguous_prefix_lists_the_candidates_and_fails(cli):
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    ids = [r["session_id"] for r in listed(cli)]
    common = os.path.commonprefix(ids)
    done = cli("show", common)
    assert done.returncode == 1
    assert done.stdout == ""
    assert all(session_id in done.stderr for session_id in ids)


def test_flush_names_the_store_it_sends_to_and_the_stores_records_wait_for(cli, tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a regular file where the store's folder should be")
    cli("run", "--store", f"sqlite:///{blocker}/runs.db", "--", sys.executable, "-c", "pass", check=True)
    done = cli("flush", check=True)
    assert f"{blocker}/runs.db" in done.stdout  # the store that record waits for
    assert "sessions.db" in done.stderr  # the store this flush sends to


def test_the_suite_lists_skip_reasons_only_on_request_and_ends_with_its_summary(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import pytest\n"
        + "".join(f"@pytest.mark.skip(reason='reason {i}')\ndef test_skipped_{i}(): pass\n" for i in range(30))
        + "def test_fails(): assert False\n"
    )
    base = [sys.executable, "-m", "pytest", "-c", str(PROJECT / "pyproject.toml"), "-p", "no:cacheprovider",
            "--rootdir", str(tmp_path), str(sample)]
    default = subprocess.run(base, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    lines = default.stdout.strip().splitlines()
    assert re.fullmatch(r"=+ 1 failed, 30 skipped in .+ =+", lines[-1]), lines[-3:]
    assert "reason 7" not in default.stdout
    assert any(line.startswith("FAILED ") for line in lines)  # failures are still summarized
    asked = subprocess.run([*base, "-rs"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "reason 7" in asked.stdout
