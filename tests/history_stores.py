"""Fixtures for the history readers: one store of every built-in kind, and run records.

``every_store`` is parametrized over SQLite, DuckDB, shelve, a JSON folder, ``memory://`` and S3
on moto's server; it gives the store as the command line names it (``--store`` and
``--store-arg`` values) and as a :class:`StoreSpec` for in-process use.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from session_core.config import parse_store
from session_core.registry import StoreSpec

KINDS = ("sqlite", "duckdb", "shelve", "json", "memory", "s3")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class StoreUnderTest:
    kind: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> StoreSpec:
        return parse_store(self.url, dict(self.options), Path.cwd())

    @property
    def cli_args(self) -> list[str]:
        """``--store URL [--store-arg KEY=JSON ...]`` for the command line."""
        args = ["--store", self.url]
        for key, value in self.options.items():
            args += ["--store-arg", f"{key}={json.dumps(value)}"]
        return args

    @property
    def in_process_only(self) -> bool:
        return self.kind == "memory"


@pytest.fixture(params=KINDS)
def every_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreUnderTest:
    kind = request.param
    if kind == "s3":
        options = request.getfixturevalue("s3_storage_options")
        bucket = request.getfixturevalue("s3_bucket")
        return StoreUnderTest(kind, f"s3://{bucket}/runs", {"storage_options": options})
    if kind == "memory":
        return StoreUnderTest(kind, f"memory://history-{uuid.uuid4().hex[:12]}")
    if kind == "duckdb":
        pytest.importorskip("duckdb", reason="the duckdb extra is not installed")
    urls = {
        "sqlite": f"sqlite:///{tmp_path}/runs.db",
        "duckdb": f"duckdb:///{tmp_path}/runs.duckdb",
        "shelve": f"shelve:///{tmp_path}/shelf",
        "json": f"file://{tmp_path}/json",
    }
    return StoreUnderTest(kind, urls[kind])


def make_record(
    n: int,
    *,
    status: str = "completed",
    started: datetime | None = None,
    duration: float | None = 10.0,
    branch: str | None = "main",
    command: str = "python train.py",
    params: dict[str, Any] | None = None,
    host: str = "alpha",
    exit_code: int | None = None,
    heartbeat: tuple[datetime, float] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A record as the session core writes it, with id ``run-NNNN`` (ids sort as ``n``)."""
    started = started or NOW - timedelta(hours=100 - n)
    ended = None if status == "running" or duration is None else started + timedelta(seconds=duration)
    record: dict[str, Any] = {
        "record_version": 1,
        "session_id": f"run-{n:04d}",
        "project_path": "/srv/project",
        "package_name": "demo",
        "username": "ann",
        "host": host,
        "cli": {"args": command.split()[1:], "params": params or {}, "command_name": command.split()[0],
                "command_path": command},
        "git": None if branch is None else {"commit_sha": f"{n:040x}", "branch": branch, "dirty": n % 2 == 1},
        "env": {},
        "runtime_params": {},
        "status": status,
        "started_at": started.isoformat(timespec="microseconds"),
        "ended_at": None if ended is None else ended.isoformat(timespec="microseconds"),
        "duration_s": None if ended is None else duration,
        **extra,
    }
    if exit_code is not None or status in ("completed", "failed"):
        record["exit_code"] = exit_code if exit_code is not None else (0 if status == "completed" else 1)
    if heartbeat is not None:
        record["heartbeat_at"] = heartbeat[0].isoformat(timespec="microseconds")
        record["heartbeat_s"] = heartbeat[1]
    return record
