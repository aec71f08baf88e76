"""``StoreConformance``: every scenario of the suite, in one class a backend author subclasses."""

from __future__ import annotations

from typing import Any

from ._scenario import SCENARIO_ID, scenario_id
from .scenarios.batches import BatchScenarios
from .scenarios.compaction import CompactionScenarios
from .scenarios.concurrency import ConcurrencyScenarios
from .scenarios.crash import CrashScenarios
from .scenarios.errors import ErrorScenarios
from .scenarios.freshness import FreshnessScenarios
from .scenarios.ids import IdScenarios
from .scenarios.isolation import IsolationScenarios
from .scenarios.listing import ListingScenarios
from .scenarios.persist import PersistScenarios
from .scenarios.roundtrip import RoundTripScenarios
from .scenarios.security import SecurityScenarios
from .scenarios.shared import SharedScenarios
from .scenarios.state import StateScenarios
from .scenarios.version import VersionScenarios

#: One class per category, public: an author may run one category, or subclass one to add a
#: scenario of their own (``test_SC_<CATEGORY>_9xx_...``).
SCENARIO_CLASSES = (
    IdScenarios,
    RoundTripScenarios,
    StateScenarios,
    PersistScenarios,
    FreshnessScenarios,
    IsolationScenarios,
    ListingScenarios,
    BatchScenarios,
    ConcurrencyScenarios,
    SharedScenarios,
    CrashScenarios,
    CompactionScenarios,
    VersionScenarios,
    ErrorScenarios,
    SecurityScenarios,
)


class StoreConformance(*SCENARIO_CLASSES):  # one list of categories: add a new one there
    """The whole conformance suite. Subclass it as ``TestMyStore`` and define one fixture::

        class TestMyStore(StoreConformance):
            @pytest.fixture
            def store_spec(self, tmp_path):
                return StoreSpec("my_package.store:MyStore", str(tmp_path / "store"))

    Optionally declare known deviations, each run as a strict expected failure::

        expected_failures = {"SC-CONC-002": "last writer does not win yet, see issue 12"}
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse ``expected_failures`` keys that name no scenario (a typo would hide nothing).

        Raises:
            ValueError: an unknown or malformed scenario id.
        """
        super().__init_subclass__(**kwargs)
        known = {scenario_id(name) for name in dir(cls) if name.startswith("test_")}
        unknown = sorted(key for key in cls.expected_failures if not SCENARIO_ID.match(key) or key not in known)
        if unknown:
            raise ValueError(
                f"{cls.__name__}.expected_failures names unknown scenarios {unknown}; "
                "ids look like SC-CONC-002 (see docs/conformance.md)"
            )
