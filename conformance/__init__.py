"""The session-core conformance suite: proves that a store keeps every contract.

Three ways in:

* ``python -m session_core.conformance STORE [--arg KEY=VALUE ...]``
* ``pytest --pyargs session_core.conformance --store STORE [--store-arg KEY=VALUE ...]``
* ``class TestMyStore(session_core.conformance.StoreConformance)`` with a ``store_spec`` fixture.

``StoreConformance`` is imported on first use, so that processes spawned by the suite and the
pytest plugin (loaded by every pytest run) do not import the scenarios, Hypothesis included.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if "pytest" in sys.modules:  # rewrite the suite's asserts so failures show their values
    import pytest

    pytest.register_assert_rewrite("session_core.conformance.scenarios", "session_core.conformance._base", "session_core.conformance._values")

if TYPE_CHECKING:
    from .suite import StoreConformance

__all__ = ["StoreConformance"]


def __getattr__(name: str) -> Any:
    if name == "StoreConformance":
        from .suite import StoreConformance

        return StoreConformance
    raise AttributeError(f"module 'session_core.conformance' has no attribute {name!r}")
