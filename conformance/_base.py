"""What every scenario class shares: the fixtures built on ``store_spec`` and the rules gate.

A backend author provides one fixture, ``store_spec``; everything else is derived from it:
fresh instances in this process (:meth:`ScenarioBase.open_store`), fresh processes (the spec is
pickled to them), the store class and its declared capabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, Phase, settings

from session_core.registry import StoreSpec
from session_core.store import Capabilities, SessionStore

from ._scenario import missing_capabilities, required_capabilities, scenario_id, skip_reason

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
    def capabilities(self, store_class: type[SessionStore]) -> Capabilities:
        return store_class.capabilities

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
        store_class = store_spec.store_class()
        required = required_capabilities(item)
        item.user_properties.extend(
            [("scenario", scenario), ("store", store_spec.class_path), ("needs", ",".join(required))]
        )
        missing = missing_capabilities(store_class, required)
        if missing:
            pytest.skip(skip_reason(store_class, scenario, missing))
        reason = self.expected_failures.get(scenario)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"{scenario}: {reason}", strict=True))
