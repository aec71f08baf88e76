"""The ten example questions of docs/query.md, run against a store of every kind."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytest.importorskip("duckdb", reason="the query extra (duckdb) is not installed")

from session_core.query import run_query  # noqa: E402
from tests.history_stores import make_record  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "query.md"


def doc_questions() -> list[str]:
    """The SQL of the numbered examples, in order."""
    section = DOC.read_text().split("## Ten questions", 1)[1].split("\n## ", 1)[0]
    return [" ".join(block.split()) for block in re.findall(r"```sql\n(.*?)```", section, re.DOTALL)]


def ago(**delta: float) -> datetime:
    """A time before now (not before the module was imported: the lost/running split of the
    records depends on the time the query runs)."""
    return datetime.now(timezone.utc) - timedelta(**delta)


def failure(kind: str) -> dict:
    return {"type": kind, "value": "boom", "traceback": []}


def records() -> list[dict]:
    return [
        make_record(1, started=ago(days=3), command="bash nightly.sh", duration=100.0),
        make_record(2, started=ago(days=2), command="bash nightly.sh", duration=120.0),
        make_record(3, started=ago(days=1), status="failed", exit_code=2, command="python train.py --lr 0.1",
                    params={"lr": "0.1"}, exception=failure("ValueError")),
        make_record(4, started=ago(hours=2), status="failed", branch="dev", exception=failure("KeyError")),
        make_record(5, started=ago(days=10), status="failed", exception=failure("ValueError")),
        make_record(6, started=ago(hours=1), status="running", heartbeat=(ago(minutes=10), 30.0)),
        make_record(7, started=ago(minutes=1), status="running", heartbeat=(ago(), 30.0)),
        make_record(8, started=ago(days=4), params={"lr": "0.01"}, loss=0.2),
        make_record(9, started=ago(days=4, hours=1), params={"lr": "0.1"}, loss=0.1),
    ]


def ask(store, sql: str) -> list[tuple]:
    for result in run_query(store, sql):
        return list(result.rows())
    raise AssertionError("run_query yielded no result")


def test_the_doc_has_ten_questions():
    assert len(doc_questions()) == 10


def test_the_ten_questions_on_every_store(every_store):
    with every_store.spec.open() as store:
        written = records()
        store.write_many((r["session_id"], r) for r in written)
        q = doc_questions()
        assert ask(store, q[0]) == [("completed", 4), ("failed", 3), ("lost", 1), ("running", 1)]
        [(run_id, started, sha, code)] = ask(store, q[1])
        assert (run_id, sha, code) == ("run-0003", f"{3:040x}", 2)
        assert started == datetime.fromisoformat(written[2]["started_at"])
        nightly = ask(store, q[2])
        assert [(row[1], row[2]) for row in nightly] == [(100.0, 1), (120.0, 1)]
        [(best, params, loss)] = ask(store, q[3])
        assert (best, loss) == ("run-0009", 0.1) and '"lr":"0.1"' in params.replace(" ", "")
        rates = {branch: (runs, rate) for branch, runs, rate in ask(store, q[4])}
        assert rates == {"dev": (1, 1.0), "main": (8, 0.25)}
        assert ask(store, q[5])[0][:2] == ("run-0006", "alpha") and len(ask(store, q[5])) == 1
        assert [row[0] for row in ask(store, q[6])] == ["run-0001", "run-0003", "run-0005", "run-0007", "run-0009"]
        p95 = ask(store, q[7])
        assert [row[0] for row in p95][0] == "bash nightly.sh" and p95[0][1] == pytest.approx(119.0)
        assert [row[0] for row in ask(store, q[8])] == ["run-0003", "run-0009"]
        assert ask(store, q[9]) == [("ValueError", 2), ("KeyError", 1)]
