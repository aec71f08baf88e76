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


def test_since_until_param_host_and_command_filters_each_narrow_the_list(cli, git_repo):
    old = seed(git_repo, 2, ["python", "train.py", "--lr", "0.1"], started_at="2020-01-01T00:00:00+00:00", host="a")
    new = seed(git_repo, 3, ["python", "evaluate.py", "--lr", "0.2"], started_at="2099-01-01T00:00:00+00:00", host="b")

    def ids(*filters: str) -> list[str]:
        out = cli("list", "--format", "jsonl", *filters, check=True).stdout
        return sorted(json.loads(line)["session_id"] for line in out.splitlines())

    assert ids("--since", "2030-01-01") == sorted(new)
    assert ids("--until", "2030-01-01") == sorted(old)
    assert ids("--since", "7d") == sorted(new)  # a duration counts back from now
    assert ids("--param", "lr=0.1") == sorted(old)
    assert ids("--host", "b") == sorted(new)
    assert ids("--command", "evaluate") == sorted(new)
    assert ids("--command", "evaluate", "--param", "lr=0.1") == []


def test_a_filter_that_cannot_be_read_is_an_error_naming_the_option(cli, git_repo):
    seed(git_repo, 1)
    for bad in (["--since", "last tuesday"], ["--param", "lr"]):
        done = cli("list", *bad)
        assert done.returncode != 0
        assert done.stdout == ""
        assert bad[0].lstrip("-") in done.stderr and "Traceback" not in done.stderr


def test_json_and_csv_formats_carry_every_match(cli, git_repo):
    import csv
    import io

    ids = seed(git_repo, 3)
    array = json.loads(cli("list", "--format", "json", check=True).stdout)
    assert [record["session_id"] for record in array] == ids[::-1]
    table = list(csv.reader(io.StringIO(cli("list", "--format", "csv", check=True).stdout)))
    assert table[0][0] == "id" and [r[0] for r in table[1:]] == ids[::-1]
    assert json.loads(cli("list", "--format", "json", "--branch", "nope", check=True).stdout) == []


def test_sort_orders_by_any_query_column_and_an_unknown_one_is_named(cli, git_repo):
    short, long, medium = (seed(git_repo, 1, duration_s=d)[0] for d in (1.5, 30.0, 7.0))
    out = cli("list", "--sort=-duration_s", "--format", "jsonl", check=True).stdout
    assert [json.loads(line)["session_id"] for line in out.splitlines()] == [long, medium, short]
    assert table_rows(cli("list", "--sort", "duration_s", "--limit", "1", check=True).stdout)[0].startswith(short)
    done = cli("list", "--sort", "speed")
    assert done.returncode != 0 and "sort" in done.stderr and done.stdout == ""
