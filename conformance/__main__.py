"""``python -m session_core.conformance STORE [--store-arg KEY=VALUE ...] [-- PYTEST_ARGS ...]``.

Runs the whole suite against STORE (a short name, a URL or ``package.module:Class``) through
pytest, each test in a fresh temporary location, then prints the capability-by-category summary
and a last line ``N passed, N failed``. The exit code is 0 only when at least one scenario ran
and none failed: a run that tested nothing (every scenario skipped or deselected) exits with
pytest's "no tests" code, 5.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pytest

from session_core.config import parse_option_pairs
from session_core.errors import ConfigError

from ._spec import spec_for_option
from .report import ConformanceReport

#: The exit code for a store setting that cannot be resolved (argparse's usage-error code).
USAGE_ERROR = 2
#: The exit code when no scenario ran (pytest's code for "no tests collected").
NOTHING_RAN = 5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m session_core.conformance",
        description="Run the session-core conformance suite against one store.",
        epilog="Arguments after -- go to pytest, e.g. python -m session_core.conformance sqlite -- -k 'SC_RT or SC_CONC' -x",
    )
    parser.add_argument("store", help="short name (sqlite), URL (s3://bucket/prefix) or package.module:Class")
    parser.add_argument(
        "--store-arg",
        "--arg",
        dest="store_args",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a store option, as in `python -m session_core --store-arg` (repeatable; VALUE is parsed "
        "as JSON when it can be; path=NAME is a file or folder name inside each scenario's fresh "
        "folder). --arg is an older spelling",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args = build_parser().parse_args(own)
    try:
        options = parse_option_pairs(args.store_args, "--store-arg")
        spec_for_option(args.store, options, Path(tempfile.gettempdir()) / "conformance-probe").store_class()
    except ConfigError as exc:
        print(f"python -m session_core.conformance: {exc}", file=sys.stderr)
        return USAGE_ERROR
    report = ConformanceReport(in_terminal_summary=False)
    pytest_args = ["--pyargs", "session_core.conformance", "--store", args.store, "-p", "no:cacheprovider", "-ra"]
    # this process imported the suite's modules already; pytest need not warn about rewriting
    pytest_args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    for pair in args.store_args:
        pytest_args += ["--store-arg", pair]
    with tempfile.TemporaryDirectory(prefix="conformance-") as scratch:
        # Hypothesis keeps caches in ./.hypothesis by default: not in the user's project
        os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", scratch)
        code = pytest.main([*pytest_args, *extra], plugins=[report])
    print()
    print("session-core conformance summary")
    for line in report.render():
        print(line)
    print(f"{report.count('skipped')} skipped, {report.count('xfailed')} expected failures")
    print(f"{report.passed} passed, {report.failed} failed")
    if report.passed + report.failed == 0:
        print(
            "python -m session_core.conformance: no scenario ran, so nothing was tested "
            "(see the skip reasons above, or widen the -k selection)",
            file=sys.stderr,
        )
        return NOTHING_RAN
    return 0 if code == 0 and report.failed == 0 else int(code) or 1


if __name__ == "__main__":
    sys.exit(main())
