"""What every scenario class shares: the fixtures built on ``store_spec`` and the rules gate.

A backend author provides one fixture, ``store_spec``; everything else is derived from it:
fresh instances in this process (:meth:`ScenarioBase.open_store`), fresh processes (the spec is
pickled to them), the store class and the capabilities an instance declares.

Capabilities are read from an instance, not the class (an S3 JSON store is ``shared``, a local
one is not). The probe instance is opened at a sibling location of the spec's, so that a
scenario still starts from a store that was never opened (the crash scenario kills a writer
while it creates the store).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, settings

from session_core.registry import StoreSpec
from session_core.store import Capabilities, SessionStore

from ._scenario import declared_names, missing_capabilities, required_capabilities, scenario_id, skip_reason

#: Hypothesis settings of the suite: reproducible (derandomized), nothing written to the
#: current folder (no example database), no deadline (stores do I/O). The same test method
#: runs once per store subclass by design, hence ``differing_executors`` is not a warning here.
#: No "explain" phase: it re-runs failures under tracing to point at lines of the suite, which
#: costs time and tells a backend author nothing the shrunk example does not.
HYPOTHESIS_SETTINGS = settings(
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.differing_executors,
    ],
)

OpenStore = Callable[..., SessionStore]


def sibling_location(path: Any) -> Any:
    """A location beside ``path`` of the same kind (a URL prefix, a file or a folder)."""
    if isinstance(path, str) and "://" in path:
        return f"{path.rstrip('/')}-capability-probe"
    if isinstance(path, (str, Path)):
        local = Path(path)
        return str(local.with_name(f"capability-probe-{local.name}"))
    return path


def declared_capabilities(spec: StoreSpec) -> Capabilities:
    """What an instance of ``spec``'s store declares, read from a probe at a sibling location.

    Raises:
        StoreError, ConfigError: the store cannot be opened there (the test then errors with it).
    """
    probe = replace(spec, path=sibling_location(spec.path)).open()
    try:
        return probe.capabilities
    finally:
        probe.close()


class ScenarioBase:
    """Fixtures and per-test rules common to every scenario class."""

    #: Known deviations: scenario id -> reason. Each runs as a strict expected failure, so a
    #: deviation that has been fixed is reported as a failure until it is removed from here.
    expected_failures: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def store_spec(self) -> StoreSpec:
        """Override in your subclass: a picklable spec of a store in a fresh temporary place."""
        pytest.fail(
            f"{type(self).__name__} must define a `store_spec` fixture returning a "
            "session_core.registry.StoreSpec built on tmp_path (see docs/backend-authors.md)",
            pytrace=False,
        )

    @pytest.fixture
    def store_class(self, store_spec: StoreSpec) -> type[SessionStore]:
        return store_spec.store_class()

    @pytest.fixture
    def capabilities(self, store_spec: StoreSpec) -> Capabilities:
        """What an instance of the store under test declares."""
        return declared_capabilities(store_spec)

    @pytest.fixture
    def open_store(self, store_spec: StoreSpec) -> Iterator[OpenStore]:
        """A factory ``open_store(session_id=None)`` of fresh instances, closed at teardown."""
        opened: list[SessionStore] = []

        def open_one(session_id: str | None = None) -> SessionStore:
            store = store_spec.open(session_id)
            opened.append(store)
            return store

        yield open_one
        for store in opened:
            store.close()

    @pytest.fixture(autouse=True)
    def _conformance_rules(self, request: pytest.FixtureRequest, store_spec: StoreSpec) -> None:
        """Label the test with its scenario id, skip it (with the reason) when the store lacks a
        capability it needs, and turn a declared deviation into a strict expected failure."""
        item = request.node
        scenario = scenario_id(item.name)
        if scenario is None:
            return
        required = required_capabilities(item)
        item.user_properties.extend(
            [("scenario", scenario), ("store", store_spec.class_path), ("needs", ",".join(required))]
        )
        if required:
            declared: Capabilities = request.getfixturevalue("capabilities")
            item.user_properties.append(("declares", ",".join(declared_names(declared))))
            missing = missing_capabilities(declared, required)
            if missing:
                pytest.skip(skip_reason(store_spec.store_class().__name__, scenario, missing))
        reason = self.expected_failures.get(scenario)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"{scenario}: {reason}", strict=True))
