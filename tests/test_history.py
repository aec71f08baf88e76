"""The history reader: filters, durations, the effective status and sorting, on every store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from session_core.conditions import Condition
from session_core.errors import CorruptRecord, InvalidFilter
from session_core.history import (
    HistoryFilter,
    SortOrder,
    effective_status,
    iter_history,
    parse_duration,
    parse_when,
    select_history,
)
from tests.history_stores import NOW, make_record


def ids(records) -> list[str]:
    return [record["session_id"] for record in records]


@pytest.fixture
def filled(every_store):
    """Twelve runs over 100 hours: failures, branches, params, hosts and two running ones."""
    records = [make_record(n) for n in range(1, 9)]
    records[2] = make_record(3, status="failed", branch="dev", exit_code=2)
    records[4] = make_record(5, command="python etl.py --lr 0.1", params={"lr": "0.1"}, host="beta")
    records += [
        make_record(9, started=NOW - timedelta(hours=2), command="kedro run", params={"epochs": 3}),
        make_record(10, started=NOW - timedelta(minutes=30), status="failed"),
        make_record(11, status="running", started=NOW - timedelta(minutes=20),
                    heartbeat=(NOW - timedelta(minutes=10), 30.0)),
        make_record(12, status="running", started=NOW - timedelta(minutes=5),
                    heartbeat=(NOW - timedelta(seconds=20), 30.0)),
    ]
    store = every_store.spec.open()
    store.write_many((r["session_id"], r) for r in records)
    yield store
    store.close()


def history(store, **options) -> list[str]:
    return ids(iter_history(store, HistoryFilter.parse(now=NOW, **options), now=NOW))


def test_newest_first_without_a_filter(filled):
    assert history(filled) == [f"run-{n:04d}" for n in range(12, 0, -1)]


def test_status_filter_uses_the_effective_status(filled):
    assert history(filled, status="lost") == ["run-0011"]
    assert history(filled, status="running") == ["run-0012"]
    assert history(filled, status="failed") == ["run-0010", "run-0003"]


def test_a_lost_run_reads_as_lost_but_its_record_is_not_rewritten(filled):
    [shown] = [r for r in iter_history(filled, now=NOW) if r["session_id"] == "run-0011"]
    assert shown["status"] == "lost"
    assert filled.load("run-0011")["status"] == "running"


def test_branch_host_and_command_filters(filled):
    assert history(filled, branch="dev") == ["run-0003"]
    assert history(filled, host="beta") == ["run-0005"]
    assert history(filled, command="etl") == ["run-0005"]


def test_since_and_until_window_on_started_at(filled):
    assert history(filled, since="1h") == ["run-0012", "run-0011", "run-0010"]
    assert history(filled, since="3h", until="1h") == ["run-0009"]
    assert history(filled, since=(NOW - timedelta(hours=95)).isoformat(), until="2026-11-28") == [
        "run-0008", "run-0007", "run-0006", "run-0005"]


def test_param_filter_matches_strings_and_numbers(filled):
    assert history(filled, params=["lr=0.1"]) == ["run-0005"]
    assert history(filled, params=["epochs=3"]) == ["run-0009"]
    assert history(filled, params=["epochs=4"]) == []


def test_filters_combine_with_and(filled):
    assert history(filled, status="failed", branch="main") == ["run-0010"]


def test_oldest_first(filled):
    where = HistoryFilter.parse(status="failed", now=NOW)
    assert ids(iter_history(filled, where, newest_first=False, now=NOW)) == ["run-0003", "run-0010"]


def test_sort_by_duration_descending_with_a_limit_puts_absent_values_last(filled):
    filled.write("run-0002", make_record(2, duration=500.0))
    filled.write("run-0004", make_record(4, duration=70.0))
    top = select_history(filled, order=SortOrder.parse("-duration_s"), limit=3, now=NOW)
    assert ids(top) == ["run-0002", "run-0004", top[2]["session_id"]]
    everything = select_history(filled, order=SortOrder.parse("duration_s"), now=NOW)
    assert ids(everything)[-2:] == ["run-0012", "run-0011"]  # no duration: last, newest first
    assert ids(everything)[-3:-5:-1] == ["run-0002", "run-0004"]


def test_sort_by_text_descending(filled):
    ordered = select_history(filled, order=SortOrder.parse("-branch"), now=NOW)
    assert [r["git"]["branch"] for r in ordered] == ["main"] * 11 + ["dev"]
    assert ids(select_history(filled, order=SortOrder.parse("branch"), limit=2, now=NOW)) == ["run-0003", "run-0012"]


def test_limit_on_id_order_stops_early(filled):
    assert ids(select_history(filled, limit=2, now=NOW)) == ["run-0012", "run-0011"]


@pytest.mark.parametrize("text, seconds", [("7d", 604800), ("12h", 43200), ("90m", 5400), ("45s", 45),
                                           ("2w", 1209600), ("1d12h", 129600), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "7", "d7", "7x", "seven days", "-1d", "7d ago"])
def test_bad_durations_name_the_option(text):
    with pytest.raises(InvalidFilter) as caught:
        parse_duration(text, "older-than")
    assert caught.value.field == "older-than"
    assert isinstance(caught.value, ValueError)


def test_times_are_iso_dates_times_or_durations_ago():
    assert parse_when("2026-11-30", "since") == datetime(2026, 11, 30, tzinfo=timezone.utc)
    assert parse_when("2026-11-30T10:00:00+02:00", "since") == datetime(2026, 11, 30, 8, tzinfo=timezone.utc)
    assert parse_when("12h", "since", NOW) == NOW - timedelta(hours=12)
    with pytest.raises(InvalidFilter) as caught:
        parse_when("last tuesday", "until")
    assert caught.value.field == "until"


@pytest.mark.parametrize("options, field", [
    ({"status": "exploded"}, "status"),
    ({"params": ["lr"]}, "param"),
    ({"since": "1h", "until": "2h"}, "until"),
    ({"since": "tomorrow"}, "since"),
])
def test_bad_filters_raise_invalid_filter_naming_the_option(options, field):
    with pytest.raises(InvalidFilter) as caught:
        HistoryFilter.parse(**options)
    assert caught.value.field == field


def test_an_unknown_sort_field_is_refused():
    with pytest.raises(InvalidFilter) as caught:
        SortOrder.parse("-speed")
    assert caught.value.field == "sort"


def test_effective_status_threshold_is_three_of_the_records_intervals_or_given():
    record = make_record(1, status="running", heartbeat=(NOW - timedelta(seconds=10), 3.0))
    assert effective_status(record, NOW) == "lost"
    assert effective_status(record, NOW, lost_after=60) == "running"
    record["heartbeat_s"] = 5.0
    assert effective_status(record, NOW) == "running"


def test_a_running_record_without_heartbeat_stays_running():
    record = make_record(1, status="running", started=NOW - timedelta(days=30))
    assert effective_status(record, NOW) == "running"


def test_conditions_are_a_superset_prefilter():
    where = HistoryFilter.parse(status="lost", since="2026-12-01T10:00:00.5+00:00",
                                until="2026-12-01T11:00:00+00:00", now=NOW)
    conditions = where.conditions()
    assert Condition(("status",), "eq", "running") in conditions
    assert Condition(("started_at",), "ge", "2026-12-01T10:00:00") in conditions
    assert Condition(("started_at",), "lt", "2026-12-01T11:00:01") in conditions


def test_a_torn_sqlite_row_neither_blocks_writes_nor_hides_in_a_filtered_read(tmp_path):
    import sqlite3

    from session_core.stores.sqlite import SQLiteStore

    with SQLiteStore(str(tmp_path / "runs.db")) as store:
        store.write("run-0001", make_record(1, started=NOW - timedelta(hours=1)))
    with sqlite3.connect(tmp_path / "runs.db") as raw:
        raw.execute("INSERT INTO sessions VALUES ('run-0002', '{torn')")  # the started_at index takes it
    with SQLiteStore(str(tmp_path / "runs.db")) as store:
        store.write("run-0003", make_record(3, started=NOW - timedelta(minutes=5)))
        where = HistoryFilter.parse(since="2h", now=NOW)
        reported: list[str] = []
        found = iter_history(store, where, now=NOW, on_error=lambda session_id, _: reported.append(session_id))
        assert ids(found) == ["run-0003", "run-0001"]
        assert reported == ["run-0002"]  # the filter ran on the index, the torn row still came
        with pytest.raises(CorruptRecord):
            list(iter_history(store, where, now=NOW))


def test_after_resumes_beyond_an_id_in_either_order(filled):
    """Keyset pages (the run browser's): SQL stores answer ``after`` from their key column."""
    assert ids(iter_history(filled, now=NOW, after="run-0005")) == [f"run-{n:04d}" for n in range(4, 0, -1)]
    oldest_first = iter_history(filled, now=NOW, after="run-0005", newest_first=False)
    assert ids(oldest_first) == [f"run-{n:04d}" for n in range(6, 13)]
    failed = iter_history(filled, HistoryFilter.parse(status="failed", now=NOW), now=NOW, after="run-0010")
    assert ids(failed) == ["run-0003"]
