"""``stats``, ``export``, ``delete``, ``prune`` and ``reap`` on every store, through the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from session_core.cli import main as cli_main
from tests.history_stores import make_record

NOW = datetime.now(timezone.utc)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def history(every_store):
    """Six runs: two old failures, a lost run, recent successes on main and dev."""
    records = [
        make_record(1, started=ago(days=200), status="failed", duration=50.0),
        make_record(2, started=ago(days=120), duration=30.0),
        make_record(3, started=ago(days=100), status="failed", branch="dev", duration=20.0),
        make_record(4, started=ago(days=2), duration=10.0, params={"lr": "0.1"}),
        make_record(5, started=ago(hours=3), status="running", heartbeat=(ago(hours=2), 30.0)),
        make_record(6, started=ago(hours=1), duration=40.0, branch="dev"),
    ]
    with every_store.spec.open() as store:
        store.write_many((r["session_id"], r) for r in records)
    return every_store


def cli(store, capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main([args[0], *store.cli_args, *args[1:]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored_ids(store) -> list[str]:
    with store.spec.open() as opened:
        return list(opened.session_ids())


def test_stats_overall_and_per_group(history, capsys):
    code, out, _ = cli(history, capsys, "stats", "--format", "json")
    assert code == 0
    summary = json.loads(out)
    overall = summary["overall"]
    assert (overall["runs"], overall["failed"]) == (6, 2)
    assert overall["statuses"] == {"completed": 3, "failed": 2, "lost": 1}
    assert overall["median_s"] == 30.0 and overall["p95_s"] == pytest.approx(48.0)
    by_branch = {g["group"]: g for g in summary["by_branch"]}
    assert (by_branch["dev"]["runs"], by_branch["dev"]["failure_rate"]) == (2, 0.5)
    code, out, _ = cli(history, capsys, "stats", "--since", "7d", "--by", "status")
    assert code == 0 and "status=lost" in out and "all runs" in out


def test_export_jsonl_csv_and_parquet_with_filters(history, capsys, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("exports")
    code, _, err = cli(history, capsys, "export", "--branch", "dev", "-o", str(tmp_path / "dev.jsonl"))
    assert code == 0 and "2 session" in err
    lines = [json.loads(line) for line in (tmp_path / "dev.jsonl").read_text().splitlines()]
    assert [r["session_id"] for r in lines] == ["run-0003", "run-0006"]
    cli(history, capsys, "export", "--status", "lost", "-o", str(tmp_path / "lost.csv"))
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "lost.csv").read_text())))
    assert (row["id"], row["status"]) == ("run-0005", "lost")
    pytest.importorskip("duckdb", reason="parquet export needs the query extra (duckdb)")
    import duckdb

    code, _, _ = cli(history, capsys, "export", "-o", str(tmp_path / "all.parquet"))
    assert code == 0
    rows = duckdb.sql(f"select id, started_at, duration_s, params from '{tmp_path / 'all.parquet'}' order by id").fetchall()
    assert [r[0] for r in rows] == [f"run-000{n}" for n in range(1, 7)]
    assert rows[3][1].tzinfo is not None and rows[3][2] == 10.0 and json.loads(rows[3][3]) == {"lr": "0.1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.parquet", "dev.jsonl", "lost.csv"]


def test_delete_removes_the_named_sessions(history, capsys):
    code, out, _ = cli(history, capsys, "delete", "run-0001", "run-0004", "--yes")
    assert code == 0 and out.split() == ["deleted", "run-0001", "deleted", "run-0004"]
    assert stored_ids(history) == ["run-0002", "run-0003", "run-0005", "run-0006"]


def test_delete_of_an_unknown_id_deletes_nothing(history, capsys):
    code, out, err = cli(history, capsys, "delete", "run-0001", "run-9999", "--yes")
    assert code == 1 and out == "" and "run-9999" in err
    assert len(stored_ids(history)) == 6


def test_prune_dry_run_then_for_real(history, capsys):
    code, out, _ = cli(history, capsys, "prune", "--older-than", "90d", "--dry-run")
    assert code == 0 and [line.split()[2] for line in out.splitlines()] == ["run-0003", "run-0002", "run-0001"]
    assert len(stored_ids(history)) == 6
    code, out, _ = cli(history, capsys, "prune", "--older-than", "90d", "--status", "failed", "--yes")
    assert code == 0 and [line.split()[1] for line in out.splitlines()] == ["run-0003", "run-0001"]
    assert stored_ids(history) == ["run-0002", "run-0004", "run-0005", "run-0006"]


def test_prune_keeps_the_newest(history, capsys):
    code, out, _ = cli(history, capsys, "prune", "--keep-last", "4", "--yes")
    assert code == 0
    assert stored_ids(history) == ["run-0003", "run-0004", "run-0005", "run-0006"]


def test_reap_finalises_lost_runs(history, capsys):
    code, out, _ = cli(history, capsys, "reap", "--yes")
    assert code == 0 and out.split() == ["finalised", "run-0005"]
    with history.spec.open() as store:
        record = store.load("run-0005")
    assert record["status"] == "lost" and record["ended_at"] == record["heartbeat_at"]
    assert record["duration_s"] == pytest.approx(3600.0)


@pytest.mark.parametrize("args", [
    ("prune", "--older-than", "ninety days"),
    ("prune",),
    ("export", "--since", "yesterday", "-o", "x.jsonl"),
    ("stats", "--param", "lr"),
    ("delete", "../etc"),
])
def test_bad_input_is_a_clear_error(history, capsys, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(history, capsys, *args)
    assert code != 0 and out == "" and err.startswith(("error:", "session_core"))
    assert len(stored_ids(history)) == 6 and not (tmp_path / "x.jsonl").exists()


def test_curating_a_store_without_delete_is_refused(capsys):
    from tests.history_stores import StoreUnderTest

    code, out, err = cli(StoreUnderTest("none", "none://"), capsys, "prune", "--older-than", "1d", "--yes")
    assert code == 1 and "delete" in err


def test_delete_asks_on_a_terminal_and_no_keeps_everything(tmp_path):
    url = f"sqlite:///{tmp_path}/runs.db"
    from tests.history_stores import StoreUnderTest

    with StoreUnderTest("sqlite", url).spec.open() as store:
        store.write("run-0001", make_record(1))
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "session_core", "delete", "--store", url, "run-0001"],
                             stdin=follower, stdout=subprocess.PIPE, stderr=follower, cwd=tmp_path)
    os.close(follower)
    prompt = b""
    while b"[y/N]" not in prompt:
        prompt += os.read(leader, 1024)
    os.write(leader, b"n\n")
    out, _ = child.communicate(timeout=120)
    os.close(leader)
    assert child.returncode == 1 and out == b""
    with StoreUnderTest("sqlite", url).spec.open() as store:
        assert list(store.session_ids()) == ["run-0001"]
