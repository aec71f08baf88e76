"""The promise table: every numbered promise has a scenario that checks it and a broken store
that the scenario catches, and ``docs/conformance.md`` shows exactly that table."""

from __future__ import annotations

from pathlib import Path

from session_core.conformance import StoreConformance
from session_core.conformance._scenario import scenario_id
from session_core.conformance.promises import PROMISES
from tests.broken_stores import all_broken_stores

DOC = Path(__file__).resolve().parents[1] / "docs" / "conformance.md"
TABLE_START = "<!-- promise table: generated from session_core.conformance.promises and tests/broken_stores -->"
TABLE_END = "<!-- end of promise table -->"
SUITE_SCENARIOS = {scenario_id(name) for name in dir(StoreConformance) if name.startswith("test_SC_")}


def promise_table() -> list[str]:
    """The table as ``docs/conformance.md`` must show it."""
    broken = all_broken_stores()
    lines = ["| # | promise | scenarios | broken stores caught |", "|---|---|---|---|"]
    for promise in PROMISES:
        stores = sorted(name for name, store in broken.items() if store.promise == promise.number)
        lines.append(f"| {promise.number} | {promise.title} | {', '.join(promise.scenarios)} | {', '.join(stores)} |")
    return lines


def test_every_promise_has_a_scenario_of_the_suite() -> None:
    numbers = [promise.number for promise in PROMISES]
    assert numbers == list(range(1, len(PROMISES) + 1)), "promises are numbered 1, 2, 3, ... in order"
    problems = [f"promise {promise.number} names no scenario" for promise in PROMISES if not promise.scenarios]
    problems += [
        f"promise {promise.number} names {scenario}, which the suite does not have"
        for promise in PROMISES
        for scenario in promise.scenarios
        if scenario not in SUITE_SCENARIOS
    ]
    assert not problems, "\n".join(problems)


def test_every_scenario_checks_a_promise() -> None:
    covered = {scenario for promise in PROMISES for scenario in promise.scenarios}
    assert SUITE_SCENARIOS - covered == set()


def test_every_promise_has_a_broken_store_caught_by_one_of_its_scenarios() -> None:
    broken = all_broken_stores()
    problems = []
    for promise in PROMISES:
        mine = {name: store for name, store in broken.items() if store.promise == promise.number}
        if not mine:
            problems.append(f"promise {promise.number} ({promise.title}) has no broken store")
        for name, store in mine.items():
            if not store.caught_by & set(promise.scenarios):
                problems.append(f"{name} breaks promise {promise.number} but none of its scenarios catches it")
            if unknown := store.caught_by - SUITE_SCENARIOS:
                problems.append(f"{name} names unknown scenarios {sorted(unknown)}")
    assert not problems, "\n".join(problems)


def test_docs_show_the_promise_table() -> None:
    text = DOC.read_text("utf-8")
    assert TABLE_START in text and TABLE_END in text, f"{DOC.name} lacks the table markers"
    shown = text[text.index(TABLE_START) + len(TABLE_START) : text.index(TABLE_END)].strip().splitlines()
    expected = promise_table()
    assert shown == expected, "docs/conformance.md's promise table is stale; it should read:\n" + "\n".join(expected)
