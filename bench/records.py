"""Realistic run records for the bulk figures (a completed run, about 600 bytes of JSON)."""

from __future__ import annotations

import json
from typing import Any

from session_core.ids import new_session_id


def sample_record(session_id: str, index: int) -> dict[str, Any]:
    """A completed run's record, shaped like what :class:`session_core.Session` writes."""
    return {
        "record_version": 1,
        "session_id": session_id,
        "project_path": "/home/user/projects/spaceflights",
        "package_name": "spaceflights",
        "username": "user",
        "host": "build-agent-7",
        "cli": {
            "args": ["run", "--pipeline", "data_science", "--params", f"lr={index % 10 / 100}"],
            "params": {"pipeline": "data_science", "lr": index % 10 / 100},
            "command_name": "run",
            "command_path": "kedro run",
        },
        "git": {"commit_sha": f"{index:040x}", "branch": "main", "dirty": index % 3 == 0},
        "env": "local",
        "runtime_params": {"epochs": index % 50, "seed": index},
        "status": "completed",
        "started_at": "2025-01-01T00:00:00.000000Z",
        "ended_at": "2025-01-01T00:00:12.500000Z",
        "duration_s": 12.5,
        "exception": None,
    }


def sample_records(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` ``(session_id, record)`` pairs with fresh sortable ids, in id order."""
    ids = [new_session_id() for _ in range(count)]
    return [(session_id, sample_record(session_id, i)) for i, session_id in enumerate(ids)]


def encoded(records: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[str]]:
    """Ids and JSON texts, as a raw library would store them."""
    return [sid for sid, _ in records], [json.dumps(rec) for _, rec in records]
