"""A damaged record is reported, not silently dropped, where SQLite and DuckDB filter natively.

``list``, ``stats``, ``export`` and ``query`` with filters that the store evaluates in its own
WHERE clause (``--since``, ``--status``, ``--branch``) over a real SQLite file and a real DuckDB
file in which records were damaged behind the store's back (:mod:`tests.planted`): each damaged
record is named once on stderr, the exit code is 3, and every good record is still there.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from session_core import cli
from session_core.config import parse_store
from session_core.errors import CorruptRecord
from session_core.history import HistoryFilter, iter_history

from .history_stores import make_record
from .planted import BAD_TEXTS, plant, store_url

EXIT_UNREADABLE = 3
GOOD = 12
#: the damage a SQL engine meets in its WHERE clause: not JSON at all, JSON but not an object
DAMAGE = {"torn": BAD_TEXTS["torn"], "not-an-object": BAD_TEXTS["not-an-object"], "empty": BAD_TEXTS["empty"]}


class Damaged:
    """``GOOD`` recent runs (every third one failed, on branch ``dev``) and one damaged record
    of each kind of :data:`DAMAGE`, with ids among the good ones."""

    def __init__(self, kind: str, root: Path) -> None:
        self.url = store_url(kind, root)
        now = datetime.now(timezone.utc)
        records = [
            make_record(n, started=now - timedelta(hours=n), status="failed" if n % 3 == 0 else "completed",
                        branch="dev" if n % 3 == 0 else "main")
            for n in range(1, GOOD + 1)
        ]
        self.failed = sum(1 for record in records if record["status"] == "failed")
        with parse_store(self.url, None, project_path=root).open() as store:
            store.write_many((record["session_id"], record) for record in records)
        self.bad_ids = [f"run-{n:04d}x-{name}" for n, name in zip((2, 5, 9), DAMAGE)]
        for session_id, text in zip(self.bad_ids, DAMAGE.values()):
            plant(kind, root, session_id, text)


@pytest.fixture(scope="module", params=["sqlite", "duckdb"])
def damaged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Damaged:
    if request.param == "duckdb":
        pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
    return Damaged(request.param, tmp_path_factory.mktemp(request.param))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_each_named_once(err: str, bad_ids: list[str]) -> None:
    for session_id in bad_ids:
        assert sum(f"'{session_id}'" in line for line in err.splitlines()) == 1, (session_id, err)


@pytest.mark.parametrize("filters", [["--since", "30d"], ["--status", "failed"], ["--branch", "dev", "--since", "30d"]])
def test_iter_history_reports_damage_met_by_a_native_filter(damaged: Damaged, filters: list[str]):
    options = dict(zip((f.lstrip("-") for f in filters[::2]), filters[1::2]))
    where = HistoryFilter.parse(**options)
    reported: list[str] = []
    with parse_store(damaged.url, None, Path.cwd()).open(create=False) as store:
        found = [r["session_id"] for r in iter_history(store, where, on_error=lambda sid, exc: reported.append(sid))]
        with pytest.raises(CorruptRecord) as caught:
            list(iter_history(store, where))
    assert sorted(reported) == sorted(damaged.bad_ids)
    assert caught.value.session_id in damaged.bad_ids
    expected = GOOD if filters == ["--since", "30d"] else damaged.failed
    assert len(found) == expected


def test_list_with_a_time_window(damaged: Damaged, capsys):
    code, out, err = run(capsys, "list", "--store", damaged.url, "--since", "30d", "--json")
    assert code == EXIT_UNREADABLE
    assert len(out.splitlines()) == GOOD
    assert_each_named_once(err, damaged.bad_ids)


@pytest.mark.parametrize("filters", [["--since", "30d"], ["--status", "failed"]])
def test_stats(damaged: Damaged, capsys, filters: list[str]):
    code, out, err = run(capsys, "stats", "--store", damaged.url, *filters, "--format", "json")
    assert code == EXIT_UNREADABLE
    assert json.loads(out)["overall"]["runs"] == (GOOD if "--since" in filters else damaged.failed)
    assert_each_named_once(err, damaged.bad_ids)


def test_stats_strict_stops(damaged: Damaged, capsys):
    code, out, err = run(capsys, "stats", "--store", damaged.url, "--since", "30d", "--strict")
    assert code == EXIT_UNREADABLE
    assert out == ""


@pytest.mark.parametrize("filters", [["--since", "30d"], ["--status", "failed"]])
def test_export(damaged: Damaged, capsys, tmp_path: Path, filters: list[str]):
    target = tmp_path / "out.csv"
    code, _, err = run(capsys, "export", "--store", damaged.url, *filters, "-o", str(target))
    assert code == EXIT_UNREADABLE
    exported = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(exported) == (GOOD if "--since" in filters else damaged.failed)
    assert_each_named_once(err, damaged.bad_ids)


@pytest.mark.parametrize("sql, expected", [
    ("select count(*) from sessions", GOOD),
    ("select count(*) from sessions where status = 'failed'", None),
    ("select count(*) from sessions where params is not null", GOOD),
])
def test_query(damaged: Damaged, capsys, sql: str, expected: int | None):
    pytest.importorskip("duckdb", reason="the query extra (duckdb) is not installed")
    code, out, err = run(capsys, "query", "--store", damaged.url, sql, "--format", "json")
    assert code == EXIT_UNREADABLE
    assert list(json.loads(out)[0].values()) == [damaged.failed if expected is None else expected]
    assert_each_named_once(err, damaged.bad_ids)


def test_query_strict_stops_before_any_row(damaged: Damaged, capsys):
    pytest.importorskip("duckdb", reason="the query extra (duckdb) is not installed")
    code, out, _ = run(capsys, "query", "--store", damaged.url, "select id from sessions", "--strict")
    assert code == EXIT_UNREADABLE
    assert out == ""
