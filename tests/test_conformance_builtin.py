"""Every built-in store runs the whole conformance suite.

Adding a store is one class: subclass ``StoreConformance`` and return the store's spec, built
in ``tmp_path``, from the ``store_spec`` fixture (``parse_store`` resolves names and URLs the
way users write them).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from session_core.conformance import StoreConformance
from session_core.config import parse_store
from session_core.registry import StoreSpec


class TestSQLiteStore(StoreConformance):
    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("sqlite", None, project_path=tmp_path)


class TestShelveStore(StoreConformance):
    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("shelve", None, project_path=tmp_path)


class TestDuckDBStore(StoreConformance):
    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("duckdb", None, project_path=tmp_path)


class TestNoOpStore(StoreConformance):
    """Persists nothing by design: the persistence scenarios are skipped, with the reason."""

    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("none", None, project_path=tmp_path)


class TestJSONFolderStore(StoreConformance):
    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("json", None, project_path=tmp_path)


class TestMemoryJSONStore(StoreConformance):
    """memory:// lives in one process: the scenarios that need another process are skipped."""

    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store(f"memory://conformance-{uuid.uuid4().hex}", None, project_path=tmp_path)


@pytest.mark.s3
class TestS3JSONStore(StoreConformance):
    """s3:// against moto's server on 127.0.0.1, a fresh bucket per test."""

    @pytest.fixture
    def store_spec(self, tmp_path: Path, s3_bucket: str, s3_storage_options: dict[str, Any]) -> StoreSpec:
        options = {"storage_options": s3_storage_options}
        return parse_store(f"s3://{s3_bucket}/runs", options, project_path=tmp_path)


@pytest.mark.postgres
class TestPostgresStore(StoreConformance):
    """postgresql:// against the session's PostgreSQL server on 127.0.0.1, a fresh schema per test."""

    @pytest.fixture
    def store_spec(self, tmp_path: Path, pg_url: str) -> StoreSpec:
        return parse_store(pg_url, None, project_path=tmp_path)


class TestCompactedJSONFolderStore(StoreConformance):
    """A local JSON store that compacts after every finished save: every read path goes
    through segments, and must return what the plain store returns."""

    @pytest.fixture
    def store_spec(self, tmp_path: Path) -> StoreSpec:
        return parse_store("json", {"compact_every": 1}, project_path=tmp_path)



@pytest.mark.s3
@pytest.mark.slow
class TestCompactedS3JSONStore(StoreConformance):
    """The same on S3 (moto's server on 127.0.0.1): compaction removes objects by conditional
    DeleteObject and commits by conditional PutObject, so every read path must still return what
    the plain bucket returns."""

    @pytest.fixture
    def store_spec(self, tmp_path: Path, s3_bucket: str, s3_storage_options: dict[str, Any]) -> StoreSpec:
        options = {"storage_options": s3_storage_options, "compact_every": 1}
        return parse_store(f"s3://{s3_bucket}/runs", options, project_path=tmp_path)
