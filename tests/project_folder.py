"""The ``project`` fixture: an empty project folder, with no store chosen by the environment.

Tests of configuration and locations resolve a store the way a user's project would; the
developer's own ``SESSION_CORE_STORE`` must not leak into them. (The Kedro tests define their
own ``project``, a whole Kedro project, which takes precedence in their modules.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from session_core.config import ENV_STORE, ENV_STORE_ARGS


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_STORE, raising=False)
    monkeypatch.delenv(ENV_STORE_ARGS, raising=False)
    root = tmp_path / "proj"
    root.mkdir()
    return root
