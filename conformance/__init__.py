"""The session-core conformance suite: proves that a store keeps every contract.

Three ways in:

* ``python -m session_core.conformance STORE [--arg KEY=VALUE ...]``
* ``pytest --pyargs session_core.conformance --store STORE [--store-arg KEY=VALUE ...]``
* ``class TestMyStore(session_core.conformance.StoreConformance)`` with a ``store_spec`` fixture.

Public names: :class:`StoreConformance` (every scenario), ``SCENARIO_CLASSES`` (one class per
category, to run or subclass alone), :func:`needs` (mark a scenario of your own as needing
capabilities) and ``PROMISES`` (the numbered promises and their scenarios). They are imported on
first use, so that processes spawned by the suite and the pytest plugin (loaded by every pytest
run) do not import the scenarios, Hypothesis included.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if "pytest" in sys.modules:  # rewrite the suite's asserts so failures show their values
    import pytest

    pytest.register_assert_rewrite("session_core.conformance.scenarios", "session_core.conformance._base", "session_core.conformance._values")

if TYPE_CHECKING:
    from ._scenario import needs
    from .promises import PROMISES
    from .suite import SCENARIO_CLASSES, StoreConformance

__all__ = ["PROMISES", "SCENARIO_CLASSES", "StoreConformance", "needs"]


def __getattr__(name: str) -> Any:
    if name in ("StoreConformance", "SCENARIO_CLASSES"):
        from . import suite

        return getattr(suite, name)
    if name == "needs":
        from ._scenario import needs

        return needs
    if name == "PROMISES":
        from .promises import PROMISES

        return PROMISES
    raise AttributeError(f"module 'session_core.conformance' has no attribute {name!r}")
