"""pytest plugin of the conformance suite (registered through the ``pytest11`` entry point).

It adds ``--store`` and ``--store-arg`` (read by the suite's own test module, so that
``pytest --pyargs session_core.conformance --store sqlite`` works), registers the suite's marker, and adds
the conformance summary to the end of any run that ran conformance scenarios. It imports no
scenario code: loading it costs every pytest run next to nothing.
"""

from __future__ import annotations

import pytest

from ._scenario import NEEDS_MARKER
from .report import ConformanceReport

STORE_OPTION = "conformance_store"
STORE_ARGS_OPTION = "conformance_store_args"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("session-core conformance")
    group.addoption(
        "--store",
        dest=STORE_OPTION,
        default=None,
        metavar="STORE",
        help="store to check with `pytest --pyargs session_core.conformance`: a short name (sqlite), a URL "
        "(sqlite:///runs.db, s3://bucket/prefix) or package.module:Class; each test builds it "
        "in a fresh temporary folder",
    )
    group.addoption(
        "--store-arg",
        dest=STORE_ARGS_OPTION,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the store under test (repeatable; VALUE is parsed as JSON when it can be)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{NEEDS_MARKER}(*capabilities): conformance scenario meaningful only for stores declaring "
        "these capabilities; skipped with the reason otherwise",
    )
    config.addinivalue_line("markers", "slow: long-running test (processes, crashes, large volumes)")
    if not any(isinstance(plugin, ConformanceReport) for plugin in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(ConformanceReport(), "session-core-conformance-report")
