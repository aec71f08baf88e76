"""Every built-in store runs the whole conformance suite.

Adding a store is one class: subclass ``StoreConformance`` and return the store's spec, built
in ``tmp_path``, from the ``store_spec`` fixture (``parse_store`` resolves names and URLs the
way users write them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import StoreConformance
from session_core.config import parse_store
from session_core.registry import StoreSpec


class TestSQLiteStore(StoreConformance):
    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("sqlite", None, project_path=tmp_path)


class TestNoOpStore(StoreConformance):
    """Persists nothing by design: the persistence scenarios are skipped, with the reason."""

    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("none", None, project_path=tmp_path)
