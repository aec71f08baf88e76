"""``query``: read-only SQL over ``sessions`` on every store, errors, formats, nothing written."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb", reason="the query extra (duckdb) is not installed")

from session_core.errors import QueryError  # noqa: E402
from session_core.query import SESSION_COLUMNS, run_query  # noqa: E402
from tests.history_stores import make_record  # noqa: E402


def query_cli(store, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SESSION_CORE_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "session_core", "query", *store.cli_args, *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
    )


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def three(every_store):
    with every_store.spec.open() as store:
        store.write_many([
            ("run-0001", make_record(1, params={"lr": "0.1"}, note="kept")),
            ("run-0002", make_record(2, status="failed", branch="dev")),
            ("run-0003", make_record(3, duration=5.5)),
        ])
        yield store


def rows(store, sql: str) -> list[tuple]:
    for result in run_query(store, sql):
        return list(result.rows())
    raise AssertionError("no result")


def test_every_column_is_there_with_its_type(three):
    for result in run_query(three, "select * from sessions"):
        assert result.columns == list(SESSION_COLUMNS)
        types = dict(zip(result.columns, result.types))
        assert types["started_at"] == "TIMESTAMP WITH TIME ZONE"
        assert (types["duration_s"], types["exit_code"], types["dirty"]) == ("DOUBLE", "BIGINT", "BOOLEAN")
        assert types["params"] == types["record"] == "JSON"
        assert len(list(result.rows())) == 3


def test_typed_values_and_json_columns(three):
    [(duration, dirty, code, lr, user)] = rows(
        three, "select duration_s, dirty, exit_code, params->>'lr', user from sessions where id = 'run-0001'")
    assert (duration, dirty, code, lr) == (10.0, True, 0, "0.1")
    assert json.loads(user) == {"note": "kept"}


@pytest.mark.parametrize("sql, kind", [
    ("insert into sessions values ('x')", "INSERT"),
    ("copy (select 1) to 'out.csv'", "COPY"),
    ("attach 'other.duckdb' as other", "ATTACH"),
    ("install httpfs", "LOAD"),
    ("set threads = 1", "SET"),
    ("select 1; select 2", None),
    ("", None),
])
def test_statements_other_than_one_select_are_refused(three, sql, kind):
    with pytest.raises(QueryError) as caught:
        rows(three, sql)
    assert isinstance(caught.value, ValueError)
    if kind:
        assert kind in caught.value.reason


def test_an_unknown_column_is_named(three):
    with pytest.raises(QueryError) as caught:
        rows(three, "select no_such_column from sessions")
    assert "no_such_column" in caught.value.reason


def test_a_syntax_error_is_a_query_error(three):
    with pytest.raises(QueryError) as caught:
        rows(three, "select status from sessions where")
    assert caught.value.sql == "select status from sessions where"


def test_cli_formats_and_exit_codes(tmp_path):
    from tests.history_stores import StoreUnderTest

    store = StoreUnderTest("sqlite", f"sqlite:///{tmp_path}/runs.db")
    with store.spec.open() as opened:
        opened.write_many([(f"run-000{n}", make_record(n)) for n in (1, 2)])
    sql = "select id, started_at, params from sessions order by id"
    out = query_cli(store, sql, "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    parsed = json.loads(out.stdout)
    assert [row["id"] for row in parsed] == ["run-0001", "run-0002"] and parsed[0]["params"] == {}
    out = query_cli(store, sql, "--format", "csv", cwd=tmp_path)
    assert list(csv.reader(io.StringIO(out.stdout)))[0] == ["id", "started_at", "params"]
    table = query_cli(store, "select count(*) as n from sessions", cwd=tmp_path)
    assert table.stdout.split() == ["n", "2"]
    bad = query_cli(store, "delete from sessions", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stdout == "" and "DELETE" in bad.stderr


def test_query_connections_never_draw_duckdbs_progress_bar(capfd):
    """DuckDB draws its bar on stdout, terminal or not, once a statement runs past
    ``progress_bar_time``: ``--format json`` would then not be JSON. Here the bar is due after
    1 ms of a statement that runs far longer."""
    from session_core.query import connect

    con = connect()
    con.execute("SET progress_bar_time = 1")
    assert con.execute("select count(*) from range(200000000) t(x) where x % 7 = 3").fetchone() == (28571429,)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("kind", ["sqlite", "duckdb", "json"])
def test_query_writes_nothing(tmp_path, kind):
    from tests.history_stores import StoreUnderTest

    urls = {"sqlite": f"sqlite:///{tmp_path}/s/runs.db", "duckdb": f"duckdb:///{tmp_path}/s/runs.duckdb",
            "json": f"file://{tmp_path}/s"}
    store = StoreUnderTest(kind, urls[kind])
    with store.spec.open() as opened:
        opened.write_many([(f"run-000{n}", make_record(n)) for n in (1, 2, 3)])
    before = snapshot(tmp_path / "s")
    for sql in ("select status, count(*) from sessions group by status", "drop table sessions",
                "select nope from sessions"):
        query_cli(store, sql, cwd=tmp_path)
    assert snapshot(tmp_path / "s") == before


PRUNED_SQL = [
    "select status, count(*) from sessions group by status order by status",
    "select s.branch, max(s.duration_s) from sessions s where s.dirty group by all order by 1",
    "select id, params->>'lr' as lr from sessions where exit_code = 0 order by id",
    "select count(*) from sessions a natural join sessions b",
    "select count(*) from sessions a join sessions b using (id, branch)",
    "select s from sessions s order by s.id",
    "select count(*) as n from sessions order by n",
    "select columns('.*_at') from sessions order by 1",
    "select #2, #1 from sessions order by 2",
    "with t as (select * from sessions) select host, count(*) from t group by host",
    "describe sessions",
]


@pytest.mark.parametrize("sql", PRUNED_SQL)
def test_reading_only_the_named_columns_gives_the_result_of_reading_all(tmp_path, sql):
    """query extracts only the fields the SQL names (the others read NULL): on statements that
    name columns in every way DuckDB allows, the result is that of extracting every column."""
    import duckdb

    from session_core.query import connect, referenced_columns, sessions_relation
    from session_core.stores.sqlite import SQLiteStore

    with SQLiteStore(str(tmp_path / "runs.db")) as store:
        store.write_many((f"run-{n:04d}", make_record(n, status="failed" if n % 3 == 0 else "completed",
                                                      branch="dev" if n % 2 else "main", params={"lr": str(n)}))
                         for n in range(1, 9))
        answers = []
        for columns in (referenced_columns(connect(), sql), None):
            con: duckdb.DuckDBPyConnection = connect()
            with sessions_relation(con, store, columns=columns):
                answers.append(con.execute(sql).fetchall())
            con.close()
    assert answers[0] == answers[1]
    assert answers[0]


@pytest.mark.parametrize("sql, named", [
    ("select status, count(*) from sessions group by status", {"status"}),
    ("select s.branch, max(s.duration_s) from sessions s where s.dirty group by all", {"branch", "duration_s", "dirty"}),
    ("select count(*) from sessions", set()),
    ("select * from sessions", None),
    ("select s from sessions s", None),
    ("select count(*) from sessions a natural join sessions b", None),
    ("describe sessions", None),
])
def test_the_columns_a_statement_names(sql, named):
    from session_core.query import connect, referenced_columns

    assert referenced_columns(connect(), sql) == (None if named is None else frozenset(named))
