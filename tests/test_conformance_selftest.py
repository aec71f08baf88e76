"""The conformance suite tested against deliberately broken stores (``tests/broken_stores.py``).

A suite that passes a broken store is a bug in the suite: each broken store must fail exactly
its expected scenarios, and only those. Each run selects the categories that the bug could
touch (``-k``) to stay fast; the correct stores run the whole suite in
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
import session_core.conformance.suite  # noqa: F401
from session_core.conformance._scenario import scenario_id

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

#: Every category that needs no extra process, without the slow 1,200-session listing.
IN_PROCESS = "(SC_RT or SC_STATE or SC_PERSIST or SC_ISO or SC_LIST or SC_BAD or SC_SEC) and not SC_LIST_003"
PROCESSES = "SC_CONC or SC_CRASH"


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


@pytest.mark.parametrize(
    ("store", "select", "expected"),
    [
        pytest.param("DropsNoneStore", IN_PROCESS, {"SC-RT-001", "SC-RT-002", "SC-STATE-001"}, id="drops-a-key"),
        pytest.param(
            "IntsToFloatsStore",
            IN_PROCESS,
            {
                "SC-RT-001",
                "SC-RT-002",
                "SC-RT-003",
                "SC-RT-004",
                "SC-STATE-001",
                "SC-PERSIST-001",
                "SC-PERSIST-002",
                "SC-PERSIST-003",
                "SC-SEC-001",
            },
            id="ints-become-floats",
        ),
        pytest.param("LeakyStore", IN_PROCESS, {"SC-ISO-001", "SC-ISO-002"}, id="leaks-between-sessions"),
        pytest.param("AcceptsTraversalStore", IN_PROCESS, {"SC-SEC-001"}, id="accepts-dot-dot-slash"),
        pytest.param(
            "ClaimsDeleteStore", IN_PROCESS, {"SC-ISO-002", "SC-BAD-002", "SC-BAD-004"}, id="claims-a-capability"
        ),
        pytest.param(
            "NonAtomicStore", PROCESSES, {"SC-CONC-003", "SC-CRASH-001"}, id="non-atomic", marks=pytest.mark.slow
        ),
        pytest.param(
            "LosesConcurrentWritesStore",
            f"{PROCESSES} or SC_LIST",
            {"SC-CONC-001", "SC-LIST-004"},
            id="loses-concurrent-writes",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_broken_store_fails_exactly_its_expected_scenarios(
    pytester: pytest.Pytester, store: str, select: str, expected: set[str]
) -> None:
    outcomes = run_suite(pytester, f"tests.broken_stores:{store}", select)
    assert outcomes["failed"] == expected
    assert outcomes["passed"], "the selection ran no passing scenario"
    assert not outcomes["skipped"] and not outcomes["xfailed"]


def test_declared_deviation_runs_as_an_expected_failure(pytester: pytest.Pytester) -> None:
    deviations = {"SC-RT-001": "drops None values", "SC-RT-002": "drops None values"}
    outcomes = run_suite(pytester, "tests.broken_stores:DropsNoneStore", "SC_RT_001 or SC_RT_002 or SC_RT_005", deviations)
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
    assert {scenario_id(report.nodeid) for report in passed} == {f"SC-BAD-00{n}" for n in range(1, 6)}
    assert not skipped and not failed


def test_pytest_pyargs_without_a_store_skips_with_the_reason(pytester: pytest.Pytester) -> None:
    recorder = pytester.inline_run("-p", "no:cacheprovider", "--pyargs", "session_core.conformance", "-k", "SC_BAD")
    passed, skipped, failed = recorder.listoutcomes()
    assert len(skipped) == 5 and not passed and not failed
    assert all("--store" in report.longrepr[2] for report in skipped)


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "session_core.conformance", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_cli_passes_a_good_store_without_writing_to_the_current_folder(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "sqlite", "--", "-k", "SC_BAD or SC_RT_005")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "6 passed, 0 failed"
    assert list(tmp_path.iterdir()) == [], "the suite wrote into the current folder"


def test_cli_fails_a_broken_store_naming_its_scenarios(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "tests.broken_stores:ClaimsDeleteStore", "--arg", "path=sessions.db", "--", "-k", "SC_BAD")
    assert result.returncode != 0
    lines = result.stdout.splitlines()
    assert lines[-1] == "3 passed, 2 failed"
    summary = lines[lines.index("session-core conformance summary") :]
    assert any(line.strip().startswith("SC-BAD-002") for line in summary)
    assert any(line.strip().startswith("SC-BAD-004") for line in summary)


@pytest.mark.parametrize("store", ["no-such-store", "sqlite:////{tmp}/fixed.db"], ids=["unknown", "fixed-path"])
def test_cli_refuses_a_store_it_cannot_run_with_a_usage_error(tmp_path: Path, store: str) -> None:
    setting = store.format(tmp=str(tmp_path).lstrip("/"))
    result = run_cli(tmp_path, setting)
    assert result.returncode == 2
    assert setting in result.stderr
    assert list(tmp_path.iterdir()) == [], "a refused store setting still created files"
