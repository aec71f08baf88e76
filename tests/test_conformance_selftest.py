"""The conformance suite tested against deliberately broken stores (``tests/broken_stores/``).

A suite that passes a broken store is a bug in the suite: each broken store must fail exactly
the scenarios it names, and pass a sanity set. To stay fast, each broken store runs only those
scenarios, all broken stores in one pytest session (one for those caught in this process, one
for those that need other processes); the correct stores run the whole suite in
``tests/test_conformance_builtin.py``.
"""

from __future__ import annotations

import multiprocessing.popen_spawn_posix  # noqa: F401  (see the note below)
import multiprocessing.queues  # noqa: F401
import multiprocessing.resource_tracker  # noqa: F401
import multiprocessing.synchronize  # noqa: F401
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Imported before pytester's inline runs, which drop every module imported during a run: the
# suite's modules must stay the ones its spawned workers are pickled from, and multiprocessing
# must keep one resource tracker across runs.
from session_core.conformance import StoreConformance
from session_core.conformance._scenario import scenario_id
from session_core.conformance.promises import PROMISES
from tests.broken_stores import BrokenStore, all_broken_stores

pytest_plugins = ["pytester"]

PROJECT = Path(__file__).resolve().parents[1]

SUITE_MODULE = """
import pytest

from session_core.conformance import StoreConformance
from session_core.registry import StoreSpec


class TestUnderTest(StoreConformance):
    expected_failures = {expected_failures!r}

    @pytest.fixture
    def store_spec(self, tmp_path):
        return StoreSpec({class_path!r}, str(tmp_path / "sessions.db"))
"""

BROKEN_CLASS = """

class Test{name}(StoreConformance):
    @pytest.fixture
    def store_spec(self, tmp_path):
        return StoreSpec({class_path!r}, str(tmp_path / "store"))
"""

#: Scenarios every broken store must pass (each one's bug is elsewhere): a store that cannot
#: even open, find nothing, or refuse use after close is not "one plausible bug".
SANITY = frozenset({"SC-BAD-001", "SC-BAD-003"})
#: Scenarios that start other processes: the broken stores they catch run as a slow group.
IN_OTHER_PROCESSES = ("SC-PERSIST-002", "SC-FRESH-002", "SC-STATE-002", "SC-CONC", "SC-SHARED", "SC-CRASH", "SC-COMPACT")
BROKEN = all_broken_stores()
TEST_NAMES = {scenario_id(name): name for name in dir(StoreConformance) if name.startswith("test_SC_")}


def run_suite(
    pytester: pytest.Pytester, class_path: str, select: str, expected_failures: dict[str, str] | None = None
) -> dict[str, set[str | None]]:
    """Run the suite on ``class_path``; return the scenario ids by outcome."""
    pytester.makepyfile(
        test_under_test=SUITE_MODULE.format(class_path=class_path, expected_failures=expected_failures or {})
    )
    recorder = pytester.inline_run("-p", "no:cacheprovider", "-k", select)
    passed, skipped, failed = recorder.listoutcomes()
    return {
        "passed": {scenario_id(report.nodeid) for report in passed},
        "skipped": {scenario_id(report.nodeid) for report in skipped if not hasattr(report, "wasxfail")},
        "xfailed": {scenario_id(report.nodeid) for report in skipped if hasattr(report, "wasxfail")},
        "failed": {scenario_id(report.nodeid) for report in failed},
    }


def needs_processes(broken: BrokenStore) -> bool:
    return any(scenario.startswith(IN_OTHER_PROCESSES) for scenario in broken.caught_by)


def broken_store_outcomes(pytester: pytest.Pytester, names: list[str]) -> dict[str, dict[str, set[str]]]:
    """Run, in one pytest session, each named broken store's expected scenarios and the sanity
    set; return each store's scenario ids by outcome."""
    module = "import pytest\n\nfrom session_core.conformance import StoreConformance\nfrom session_core.registry import StoreSpec\n"
    module += "".join(BROKEN_CLASS.format(name=name, class_path=BROKEN[name].class_path) for name in names)
    pytester.makepyfile(test_broken=module)
    node_ids = [
        f"test_broken.py::Test{name}::{TEST_NAMES[scenario]}"
        for name in names
        for scenario in sorted(BROKEN[name].caught_by | SANITY)
    ]
    recorder = pytester.inline_run("-p", "no:cacheprovider", *node_ids)
    outcomes: dict[str, dict[str, set[str]]] = {name: {"passed": set(), "skipped": set(), "failed": set()} for name in names}
    for report in recorder.getreports("pytest_runtest_logreport"):
        if report.when != "call" and not (report.failed or report.skipped):
            continue
        store = report.nodeid.split("::")[1].removeprefix("Test")
        outcome = "failed" if report.failed else "skipped" if report.skipped else "passed"
        outcomes[store][outcome].add(scenario_id(report.nodeid))
    return outcomes


def caught_problems(outcomes: dict[str, dict[str, set[str]]]) -> dict[str, list[str]]:
    """What is wrong, per broken store that did not fail exactly its expected scenarios."""
    problems: dict[str, list[str]] = {}
    for name, found in outcomes.items():
        expected = BROKEN[name].caught_by
        mine = []
        if found["failed"] != expected:
            mine.append(f"promise {BROKEN[name].promise}: failed {sorted(found['failed'])}, expected {sorted(expected)}")
        if found["skipped"]:
            mine.append(f"skipped {sorted(found['skipped'])}")
        if not SANITY - expected <= found["passed"]:
            mine.append(f"sanity scenarios {sorted(SANITY - expected - found['passed'])} did not pass")
        if mine:
            problems[name] = mine
    return problems


def assert_each_caught(pytester: pytest.Pytester, names: list[str]) -> None:
    problems = caught_problems(broken_store_outcomes(pytester, names))
    report = [f"{name}: {problem}" for name, found in problems.items() for problem in found]
    assert not problems, f"{len(names) - len(problems)} of {len(names)} caught as expected:\n" + "\n".join(report)


def test_every_broken_store_caught_in_this_process_fails_exactly_its_scenarios(pytester: pytest.Pytester) -> None:
    assert_each_caught(pytester, sorted(name for name, broken in BROKEN.items() if not needs_processes(broken)))


@pytest.mark.slow
def test_every_broken_store_caught_with_other_processes_fails_exactly_its_scenarios(pytester: pytest.Pytester) -> None:
    assert_each_caught(pytester, sorted(name for name, broken in BROKEN.items() if needs_processes(broken)))


def test_there_are_at_least_thirty_broken_stores_and_one_per_promise() -> None:
    assert len(BROKEN) >= 30
    assert {promise.number for promise in PROMISES} == {broken.promise for broken in BROKEN.values()}


AUTHOR_MODULE = """
import pytest

from session_core.conformance import SCENARIO_CLASSES, needs
from session_core.registry import StoreSpec

IdScenarios = next(cls for cls in SCENARIO_CLASSES if cls.__name__ == "IdScenarios")


class TestMine(IdScenarios):
    @pytest.fixture
    def store_spec(self, tmp_path):
        return StoreSpec("session_core.stores.sqlite:SQLiteStore", str(tmp_path / "runs.db"))

    @needs("shared")
    def test_SC_ID_901_needs_a_capability_sqlite_lacks(self, open_store):
        open_store()

    def test_SC_ID_902_fails_on_purpose(self, open_store):
        assert open_store().has_session("never-written")
"""


def test_an_author_runs_one_category_and_adds_scenarios_of_their_own(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=AUTHOR_MODULE)
    passed, skipped, failed = pytester.inline_run("-p", "no:cacheprovider").listoutcomes()
    assert {scenario_id(report.nodeid) for report in passed} == {"SC-ID-001"}
    assert {scenario_id(report.nodeid) for report in skipped} == {"SC-ID-901"}
    assert "shared=False" in skipped[0].longrepr[2]
    assert {scenario_id(report.nodeid) for report in failed} == {"SC-ID-902"}


def test_declared_deviation_runs_as_an_expected_failure(pytester: pytest.Pytester) -> None:
    deviations = {"SC-RT-001": "drops None values", "SC-RT-002": "drops None values"}
    outcomes = run_suite(pytester, "tests.broken_stores.sqlite_bugs:DropsNoneStore", "SC_RT_001 or SC_RT_002 or SC_RT_005", deviations)
    assert outcomes["xfailed"] == {"SC-RT-001", "SC-RT-002"}
    assert outcomes["passed"] == {"SC-RT-005"}
    assert not outcomes["failed"]


def test_fixed_deviation_is_reported_as_a_failure(pytester: pytest.Pytester) -> None:
    outcomes = run_suite(pytester, "session_core.stores.sqlite:SQLiteStore", "SC_RT_001", {"SC-RT-001": "was broken once"})
    assert outcomes["failed"] == {"SC-RT-001"}


def test_unknown_scenario_in_expected_failures_is_refused(pytester: pytest.Pytester) -> None:
    outcomes = run_suite(pytester, "session_core.stores.sqlite:SQLiteStore", "SC_RT_001", {"SC-RT-999": "typo"})
    assert outcomes["failed"] == {None}, "the module must fail to collect"
    assert not outcomes["passed"]


def test_pytest_pyargs_runs_the_suite_on_the_named_store(pytester: pytest.Pytester) -> None:
    recorder = pytester.inline_run("-p", "no:cacheprovider", "--pyargs", "session_core.conformance", "--store", "sqlite", "-k", "SC_BAD")
    passed, skipped, failed = recorder.listoutcomes()
    assert {scenario_id(report.nodeid) for report in passed} == {f"SC-BAD-00{n}" for n in range(1, 7)}
    assert not skipped and not failed


def test_pytest_pyargs_without_a_store_skips_with_the_reason(pytester: pytest.Pytester) -> None:
    recorder = pytester.inline_run("-p", "no:cacheprovider", "--pyargs", "session_core.conformance", "-k", "SC_BAD")
    passed, skipped, failed = recorder.listoutcomes()
    assert len(skipped) == 6 and not passed and not failed
    assert all("--store" in report.longrepr[2] for report in skipped)


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "session_core.conformance", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_cli_passes_a_good_store_without_writing_to_the_current_folder(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "sqlite", "--", "-k", "SC_BAD or SC_RT_005")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "7 passed, 0 failed"
    assert list(tmp_path.iterdir()) == [], "the suite wrote into the current folder"


def test_cli_fails_a_broken_store_naming_its_scenarios(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "tests.broken_stores.sqlite_bugs:ClaimsDeleteStore", "--", "-k", "SC_BAD and not SC_BAD_006")
    assert result.returncode != 0
    lines = result.stdout.splitlines()
    assert lines[-1] == "3 passed, 2 failed"
    summary = lines[lines.index("session-core conformance summary") :]
    assert any(line.strip().startswith("SC-BAD-002") for line in summary)
    assert any(line.strip().startswith("SC-BAD-004") for line in summary)


def test_cli_takes_store_options_with_store_arg_as_the_main_cli_does(tmp_path: Path) -> None:
    store = "tests.broken_stores.sqlite_bugs:ClaimsDeleteStore"
    result = run_cli(tmp_path, store, "--store-arg", "path=sessions.db", "--", "-k", "SC_BAD_002 or SC_BAD_001")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed"
    summary = result.stdout[result.stdout.index("session-core conformance summary") :]
    assert "promise 16" in summary and "observed:" in summary, summary


@pytest.mark.parametrize(
    ("store", "select"),
    [("sqlite", "no_scenario_has_this_name"), ("none", "SC_CONC_001 or SC_CRASH_001")],
    ids=["nothing-selected", "everything-skipped"],
)
def test_cli_fails_when_no_scenario_ran(tmp_path: Path, store: str, select: str) -> None:
    result = run_cli(tmp_path, store, "--", "-k", select)
    assert result.returncode == 5, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "0 passed, 0 failed"
    assert result.stderr.strip(), "no reason given on stderr"


@pytest.mark.parametrize("store", ["no-such-store", "sqlite:////{tmp}/fixed.db"], ids=["unknown", "fixed-path"])
def test_cli_refuses_a_store_it_cannot_run_with_a_usage_error(tmp_path: Path, store: str) -> None:
    setting = store.format(tmp=str(tmp_path).lstrip("/"))
    result = run_cli(tmp_path, setting)
    assert result.returncode == 2
    assert setting in result.stderr
    assert list(tmp_path.iterdir()) == [], "a refused store setting still created files"
