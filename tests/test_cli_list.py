"""``list`` as a user reads it: every match in JSON, a table that says what it left out, filters
that say when nothing matched, times labelled with their zone, commands as typed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from session_core.config import resolve_store
from session_core.ids import new_session_id
from session_core.record import cli_from_argv, new_record
from tests.test_cli import cli  # noqa: F401  (the fixture)


def seed(project: Path, count: int, argv: list[str] | None = None, **fields: Any) -> list[str]:
    """Write ``count`` finished records into the project's default store; return their ids."""
    ids = [new_session_id() for _ in range(count)]
    records = []
    for session_id in ids:
        record = new_record(
            session_id=session_id, project_path=str(project), package_name=None,
            cli=cli_from_argv(argv or ["python", "train.py"]),
            git={"commit_sha": "0" * 40, "branch": "main", "dirty": False}, env=None, runtime_params={},
        )
        record.update({"status": "completed", **fields})
        records.append((session_id, record))
    with resolve_store("sqlite", None, project).open() as store:
        store.write_many(records)
    return ids


def table_rows(stdout: str) -> list[str]:
    return stdout.splitlines()[1:]  # below the header


def test_json_returns_every_matching_session_unless_a_limit_is_given(cli, git_repo):
    ids = seed(git_repo, 26)
    everything = cli("list", "--json", check=True).stdout.splitlines()
    assert [json.loads(line)["session_id"] for line in everything] == ids[::-1]
    assert len(cli("list", "--json", "--limit", "5", check=True).stdout.splitlines()) == 5


def test_the_table_shows_twenty_and_says_on_stderr_how_many_matched(cli, git_repo):
    seed(git_repo, 26)
    done = cli("list", check=True)
    assert len(table_rows(done.stdout)) == 20
    assert "20 of 26" in done.stderr
    assert "20 of 26" not in done.stdout  # stdout stays the table alone


def test_the_table_says_nothing_more_when_every_match_is_shown(cli, git_repo):
    seed(git_repo, 26)
    done = cli("list", "--limit", "0", check=True)
    assert len(table_rows(done.stdout)) == 26
    assert done.stderr == ""


def test_the_left_out_count_is_of_the_sessions_that_matched_the_filters(cli, git_repo):
    seed(git_repo, 3, status="failed")
    seed(git_repo, 4)
    done = cli("list", "--status", "completed", "--limit", "2", check=True)
    assert len(table_rows(done.stdout)) == 2
    assert "2 of 4" in done.stderr


def test_a_negative_limit_is_a_usage_error_not_a_traceback(cli, git_repo):
    seed(git_repo, 1)
    for value in ("-1", "ten"):
        done = cli("list", "--limit", value)
        assert done.returncode == 2
        assert "--limit" in done.stderr and value in done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""


def test_a_filter_that_matches_nothing_says_so_instead_of_calling_the_store_empty(cli, git_repo):
    seed(git_repo, 3)
    done = cli("list", "--branch", "nope", check=True)
    assert done.stdout == ""
    assert "--branch nope" in done.stderr and "3" in done.stderr
    assert "no sessions in" not in done.stderr


def test_an_empty_store_is_called_empty(cli, git_repo):
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    with resolve_store("sqlite", None, git_repo).open() as store:
        for session_id in list(store.session_ids()):
            store.delete(session_id)
    done = cli("list", "--branch", "nope", check=True)
    assert "no sessions in" in done.stderr


def test_start_times_are_labelled_utc_or_shown_in_the_local_zone_with_local(cli, git_repo):
    seed(git_repo, 1, started_at="2026-01-02T03:04:05.000000+00:00")
    utc = cli("list", check=True).stdout.splitlines()
    assert "started (UTC)" in utc[0] and "2026-01-02 03:04:05" in utc[1]
    cli.env["TZ"] = "IST-05:30"  # POSIX zone: five and a half hours east of UTC, no tz database needed
    local = cli("list", "--local", check=True).stdout.splitlines()
    assert "started (IST)" in local[0] and "2026-01-02 08:34:05" in local[1]


def test_the_command_column_is_readable_and_cut_with_an_ellipsis(cli, git_repo):
    seed(git_repo, 1, argv=["/opt/venv/bin/python", "-c", "print('hello from a recorded run')"])
    [line] = table_rows(cli("list", check=True).stdout)
    assert line.endswith("python -c print('hello from a recorded run')")
    seed(git_repo, 1, argv=["python", "train.py", *(f"--option-{i}=value" for i in range(20))])
    newest = table_rows(cli("list", check=True).stdout)[0]
    command = newest[newest.index("python train.py"):]
    assert command.endswith("…") and len(command) == 60
