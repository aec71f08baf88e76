"""History readers on a real PostgreSQL server: filters pushed into the server's WHERE, keyset
order both ways, ``query`` over the store, and malformed ``postgresql://`` URLs refused early."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from session_core import cli
from session_core.conditions import Condition
from session_core.config import parse_store
from session_core.errors import ConfigError
from session_core.history import HistoryFilter, effective_status, iter_history
from session_core.stores.postgres import PostgresStore
from tests.history_stores import make_record

NOW = datetime.now(timezone.utc)
PASSWORD_IN_URL = "pw-never-printed"


@pytest.fixture
def runs(pg_url: str) -> PostgresStore:
    """24 runs over two days: every third failed on ``dev``, hosts alternate, one running."""
    records = [
        make_record(n, started=NOW - timedelta(hours=48 - 2 * n), status="failed" if n % 3 == 0 else "completed",
                    branch="dev" if n % 3 == 0 else "main", host="alpha" if n % 2 else "beta",
                    command="python train.py" if n % 4 else "bash nightly.sh", params={"lr": str(n % 2)})
        for n in range(1, 25)
    ]
    beat = (datetime.now(timezone.utc), 3600.0)  # alive for the whole test, however slow the machine
    records.append(make_record(25, started=NOW, status="running", heartbeat=beat, **{"odd key": "x"}))
    with PostgresStore(pg_url) as store:
        store.write_many((record["session_id"], record) for record in records)
        yield store


FILTERS = [
    {"status": "failed"},
    {"branch": "dev", "since": "24h"},
    {"since": "30h", "until": "10h"},
    {"host": "beta", "command": "nightly"},
    {"status": "completed", "params": ["lr=1"]},
    {"status": "running"},
    {"since": "1h"},
]


@pytest.mark.parametrize("options", FILTERS)
def test_a_filter_pushed_into_the_server_matches_reading_every_record(runs: PostgresStore, options: dict):
    where = HistoryFilter.parse(now=NOW, **options)
    expected = [sid for sid, record in runs.iter_records() if where.matches(record, effective_status(record, NOW))]
    assert runs._iter_items_where(where.conditions(), newest_first=True) is not None  # the server filters
    assert [r["session_id"] for r in iter_history(runs, where, now=NOW)] == expected[::-1]
    assert [r["session_id"] for r in iter_history(runs, where, now=NOW, newest_first=False)] == expected
    assert expected  # every filter above matches something


def test_the_server_returns_only_what_may_match(runs: PostgresStore):
    conditions = HistoryFilter.parse(status="failed", branch="dev").conditions()
    served = [sid for sid, _ in runs._iter_items_where(conditions, newest_first=False)]
    assert served == [f"run-{n:04d}" for n in range(3, 25, 3)]


def test_keyset_pages_in_both_directions(runs: PostgresStore):
    newest = [r["session_id"] for r in iter_history(runs, now=NOW, after="run-0005")]
    assert newest == [f"run-{n:04d}" for n in range(4, 0, -1)]
    oldest = [r["session_id"] for r in iter_history(runs, HistoryFilter.parse(status="failed"), now=NOW,
                                                   after="run-0012", newest_first=False)]
    assert oldest == ["run-0015", "run-0018", "run-0021", "run-0024"]


def test_a_condition_on_a_key_that_is_not_an_identifier_is_bound(runs: PostgresStore):
    found = [sid for sid, _ in runs.iter_matching([Condition(("odd key",), "eq", "x")])]
    assert found == ["run-0025"]


def test_query_and_stats_over_postgres(runs: PostgresStore, pg_url: str, capsys):
    code = cli.main(["query", "--store", pg_url, "--format", "json",
                     "select status, count(*) as runs from sessions group by status order by status"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == [{"status": "completed", "runs": 16}, {"status": "failed", "runs": 8},
                               {"status": "running", "runs": 1}]
    code = cli.main(["stats", "--store", pg_url, "--branch", "dev", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["overall"]["runs"] == 8


@pytest.mark.parametrize("url, fault", [
    (f"postgresql://ann:{PASSWORD_IN_URL}@127.0.0.1:54x2/db", "port"),
    (f"postgres://ann:{PASSWORD_IN_URL}@127.0.0.1:5432/db#x", "fragment"),
    (f"postgresql://ann:{PASSWORD_IN_URL}@127.0.0.1:5432/db?sslmode", "query"),
    (f"postgresql://ann:{PASSWORD_IN_URL} @127.0.0.1:5432/db", "space"),
])
def test_a_malformed_url_is_a_config_error_that_never_shows_the_password(url: str, fault: str, capsys):
    with pytest.raises(ConfigError) as caught:
        parse_store(url, None, Path.cwd())
    assert PASSWORD_IN_URL not in str(caught.value)
    assert caught.value.setting and caught.value.reason
    code = cli.main(["list", "--store", url])
    out, err = capsys.readouterr()
    assert code != 0
    assert PASSWORD_IN_URL not in out + err


def test_a_well_formed_url_still_reaches_the_store_verbatim():
    spec = parse_store("postgresql://ann@db.example:5432/runs/team?sslmode=require&connect_timeout=3", None, Path.cwd())
    assert spec.path == "postgresql://ann@db.example:5432/runs/team?sslmode=require&connect_timeout=3"
