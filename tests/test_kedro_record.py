"""Kedro's session data as the portable record: conversions, redaction, the final status.

:mod:`session_core.kedro.record` needs no kedro; these tests feed it what ``KedroSession``
stores and check what every reader of the record relies on.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from pathlib import Path, PurePosixPath

import pytest

from session_core.kedro.record import end_run, normalise, portable, redact_command_path, start_run
from session_core.redact import REDACTED
from session_core.values import to_portable


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (PurePosixPath("/srv/project"), "/srv/project"),
        (("a", ("b",)), ["a", ["b"]]),
        ({3, 1, 2}, [1, 2, 3]),
        (date(2026, 1, 2), "2026-01-02"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2026-01-02T03:04:05+00:00"),
        (Colour.RED, "red"),
        (float("nan"), "nan"),
        (b"bytes", "bytes"),
        ({1: "one"}, {"1": "one"}),
        (object, str(object)),
    ],
    ids=["path", "tuples", "set", "date", "datetime", "enum", "nan", "bytes", "int key", "object"],
)
def test_what_kedro_stores_becomes_a_portable_value(value: object, expected: object) -> None:
    converted = portable(value)
    assert converted == expected
    assert to_portable(converted) == converted  # the core's own check accepts it unchanged


@pytest.mark.parametrize(
    "command",
    [
        "kedro run --params db.password=pw1,lr=0.1",
        "kedro run --params=db.password=pw1,lr=0.1",
        "kedro run --params api_key=pw1",
        "kedro run --password pw1",
    ],
)
def test_secrets_in_kedros_command_path_are_redacted(command: str) -> None:
    redacted = redact_command_path(command)
    assert "pw1" not in redacted
    assert REDACTED in redacted
    assert redacted.startswith("kedro run --")


def test_a_command_path_without_secrets_is_kept() -> None:
    command = "kedro run --params lr=0.1,layers.0=a --pipeline etl"
    assert redact_command_path(command) == command


def test_the_record_gets_the_keys_every_record_has_without_changing_kedros_mapping() -> None:
    data = {"session_id": "2026-01-02T03.04.05.678Z", "project_path": Path("/srv/p"), "runtime_params": {"token": "t"}}
    record = normalise(data, package_name="demo")
    assert {"record_version", "username", "host", "env", "cli"} <= set(record)
    assert record["package_name"] == "demo"
    assert record["runtime_params"] == {"token": REDACTED}
    assert data["runtime_params"] == {"token": "t"} and isinstance(data["project_path"], Path)


def test_an_exception_before_any_run_gives_status_failed() -> None:
    data = {"session_id": "x", "exception": {"type": "ValueError", "value": "no pipeline", "traceback": []}}
    record = normalise(data)
    assert record["status"] == "failed"
    assert record["ended_at"] is not None
    assert record["duration_s"] is None  # there was no start to measure from


def test_a_finished_status_is_never_changed_by_kedros_exception() -> None:
    data: dict = {"session_id": "x"}
    start_run(data)
    end_run(data, 0.5, ValueError("bad"))
    data["exception"] = {"type": "ValueError", "value": "bad", "traceback": []}  # KedroSession.__exit__
    record = normalise(data)
    assert (record["status"], record["duration_s"]) == ("failed", 0.5)


def test_end_run_without_a_clock_measures_from_started_at() -> None:
    data: dict = {"session_id": "x"}
    start_run(data)
    end_run(data, None)
    assert data["status"] == "completed"
    assert data["duration_s"] >= 0
