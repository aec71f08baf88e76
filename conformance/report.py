"""The conformance report: per store, what passed, failed, was skipped and why, by category.

A :class:`ConformanceReport` is a pytest plugin object. It listens to test reports, keeps the
outcome of every scenario, and renders a capability-by-category summary: the store's declared
capabilities, then one row per category with the capabilities its scenarios need and the count
of each outcome, then every skip with its reason, every expected failure and every failure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from .promises import promises_of
from ._scenario import CAPABILITY_NAMES, CATEGORIES, category, scenario_id

OUTCOMES = ("passed", "failed", "skipped", "xfailed")
_SEVERITY = {"passed": 0, "xfailed": 1, "skipped": 2, "failed": 3}


@dataclass
class ScenarioOutcome:
    """The outcome of one conformance test."""

    scenario: str
    group: str
    store: str = ""
    needs: tuple[str, ...] = ()
    declares: tuple[str, ...] | None = None
    outcome: str = "passed"
    detail: str = ""


@dataclass(eq=False)  # a plugin object must stay hashable
class ConformanceReport:
    """Collects scenario outcomes; prints the summary at the end of a pytest run.

    Args:
        in_terminal_summary: print the summary in pytest's terminal summary (``python -m
            conformance`` prints it itself, after pytest's output).
    """

    in_terminal_summary: bool = True
    outcomes: dict[str, ScenarioOutcome] = field(default_factory=dict)

    # ------------------------------------------------------------------ pytest hooks

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        scenario = scenario_id(report.nodeid.rsplit("::", 1)[-1])
        if scenario is None:
            return
        entry = self.outcomes.setdefault(report.nodeid, ScenarioOutcome(scenario, _group(report.nodeid)))
        properties = dict(report.user_properties)
        entry.store = properties.get("store", entry.store)
        if "needs" in properties:
            entry.needs = tuple(filter(None, properties["needs"].split(",")))
        if "declares" in properties:
            entry.declares = tuple(filter(None, properties["declares"].split(",")))
        outcome, detail = _outcome(report)
        if outcome and _SEVERITY[outcome] >= _SEVERITY[entry.outcome]:
            entry.outcome, entry.detail = outcome, detail

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.in_terminal_summary and self.outcomes:
            terminalreporter.section("session-core conformance")
            for line in self.render():
                terminalreporter.write_line(line)

    # ------------------------------------------------------------------ results

    def count(self, outcome: str) -> int:
        return sum(entry.outcome == outcome for entry in self.outcomes.values())

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return self.count("failed")

    def render(self) -> list[str]:
        """The summary, one line per element, grouped by test class."""
        groups: dict[str, list[ScenarioOutcome]] = defaultdict(list)
        for entry in self.outcomes.values():
            groups[entry.group].append(entry)
        lines: list[str] = []
        for group, entries in groups.items():
            lines += _render_group(group, sorted(entries, key=lambda entry: _order(entry.scenario)))
        return lines


def _group(nodeid: str) -> str:
    parts = nodeid.split("::")
    return parts[-2] if len(parts) >= 3 else parts[0]


def _outcome(report: pytest.TestReport) -> tuple[str | None, str]:
    """The scenario outcome this phase's report implies, with a one-line detail."""
    if hasattr(report, "wasxfail"):
        return ("xfailed", report.wasxfail) if report.skipped else ("passed", "")
    if report.skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return "skipped", reason.removeprefix("Skipped: ").removeprefix(f"{scenario_id(report.nodeid)}: ")
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        lines = (crash.message if crash is not None else str(report.longrepr)).strip().splitlines()
        phase = "" if report.when == "call" else f"error in {report.when}: "
        return "failed", f"{phase}{lines[0] if lines else ''}"[:300]
    return ("passed", "") if report.when == "call" else (None, "")


def _order(scenario: str) -> tuple[int, str]:
    name = category(scenario)
    return (CATEGORIES.index(name) if name in CATEGORIES else len(CATEGORIES), scenario)


def _capability_line(store: str, declared: tuple[str, ...] | None) -> str:
    """The store and what its instance declared (as read by the scenarios' probe)."""
    if not store:
        return "  store: not resolved (see the skip reasons)"
    if declared is None:
        return f"  store {store}: capabilities not read (no scenario that needs one ran)"
    lacking = [name for name in CAPABILITY_NAMES if name not in declared]
    return f"  store {store}: declares {', '.join(declared) or 'nothing'}; not declared: {', '.join(lacking) or 'none'}"


def _failure_line(entry: ScenarioOutcome) -> str:
    """A failed scenario, the promises it checks, and what it observed."""
    kept = "; ".join(f"promise {promise.number} ({promise.title})" for promise in promises_of(entry.scenario))
    return f"    {entry.scenario}  breaks {kept or 'no numbered promise'}\n      observed: {entry.detail}"


def _render_group(group: str, entries: list[ScenarioOutcome]) -> list[str]:
    store = next((entry.store for entry in entries if entry.store), "")
    declared = next((entry.declares for entry in entries if entry.declares is not None), None)
    lines = [f"{group}", _capability_line(store, declared)]
    lines.append(f"  {'category':<9} {'needs':<28} " + " ".join(f"{name:>7}" for name in OUTCOMES))
    by_category: dict[str, list[ScenarioOutcome]] = defaultdict(list)
    for entry in entries:
        by_category[category(entry.scenario)].append(entry)
    for name, members in by_category.items():
        needed = ", ".join(dict.fromkeys(cap for entry in members for cap in entry.needs)) or "-"
        counts = " ".join(f"{sum(entry.outcome == outcome for entry in members):>7}" for outcome in OUTCOMES)
        lines.append(f"  {name:<9} {needed:<28} {counts}")
    for outcome, title in (("skipped", "skipped"), ("xfailed", "expected failures")):
        chosen = [entry for entry in entries if entry.outcome == outcome]
        if chosen:
            lines.append(f"  {title}:")
            lines += [f"    {entry.scenario}  {entry.detail}" for entry in chosen]
    failed = [entry for entry in entries if entry.outcome == "failed"]
    if failed:
        lines.append("  FAILED:")
        lines += [line for entry in failed for line in _failure_line(entry).splitlines()]
    return lines
