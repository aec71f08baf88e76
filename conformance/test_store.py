"""The suite against the store given on the command line: ``pytest --pyargs session_core.conformance --store X``.

``python -m session_core.conformance X`` runs this module. Without ``--store`` every scenario is skipped,
with the reason printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from session_core.config import parse_option_pairs
from session_core.registry import StoreSpec

from ._spec import spec_for_option
from .plugin import STORE_ARGS_OPTION, STORE_OPTION
from .suite import StoreConformance


class TestStore(StoreConformance):
    """Every scenario, against ``--store`` with its ``--store-arg`` options."""

    @pytest.fixture
    def store_spec(self, request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
        value = request.config.getoption(STORE_OPTION, default=None)
        if not value:
            pytest.skip(
                "no store given: run `pytest --pyargs session_core.conformance --store STORE` or "
                "`python -m session_core.conformance STORE` (STORE: short name, URL or package.module:Class)"
            )
        pairs = request.config.getoption(STORE_ARGS_OPTION, default=None) or []
        return spec_for_option(value, parse_option_pairs(pairs, "--store-arg"), tmp_path, create=True)
