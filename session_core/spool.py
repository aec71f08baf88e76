"""The local spool: where a record waits when its store cannot take it.

A run never dies because its store failed. The record is written instead, atomically, to
``<spool>/<session_id>.json`` together with the store it was meant for, and ``python -m
session_core flush`` sends it on later. The spool folder is ``$SESSION_CORE_SPOOL``, else
``$XDG_CACHE_HOME/session-core/spool``, else ``~/.cache/session-core/spool``.

A spool entry names its target by class path and path only: store options may hold credentials,
and they never land on disk here; ``flush`` takes them from the configuration it resolves.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import sweep_temp_files, write_atomic
from .ids import validate_session_id
from .redact import redact_text, redact_url

logger = logging.getLogger(__name__)

ENV_SPOOL = "SESSION_CORE_SPOOL"


def spool_dir(override: Path | str | None = None) -> Path:
    """The spool folder in force (not created until something is spooled)."""
    if override:
        return Path(override)
    if env := os.environ.get(ENV_SPOOL):
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "session-core" / "spool"


@dataclass(frozen=True)
class SpoolEntry:
    """One waiting record and the store it was meant for."""

    file: Path
    session_id: str
    target: dict[str, Any]
    record: dict[str, Any]
    error: str


def target_of(class_path: str, path: Any) -> dict[str, Any]:
    """How a spool entry names its store: class path and path, credentials removed."""
    return {"class_path": class_path, "path": None if path is None else redact_url(str(path))}


def describe_target(target: dict[str, Any]) -> str:
    """A spool target as a person reads it: ``SQLiteStore at /data/runs.db``."""
    name = str(target.get("class_path") or "an unnamed store").rpartition(":")[2]
    return f"{name} at {target['path']}" if target.get("path") else name


def put(folder: Path, target: dict[str, Any], record: dict[str, Any], error: str) -> Path:
    """Write (or replace) the spooled record of one session, atomically and durably."""
    session_id = validate_session_id(record["session_id"])
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{session_id}.json"
    payload = json.dumps({"target": target, "error": error, "record": record}, ensure_ascii=False)
    write_atomic(final, payload.encode("utf-8"))
    return final


def keep(folder: Path, target: dict[str, Any], record: dict[str, Any], error: BaseException) -> Path | None:
    """Spool a record its store refused, logging where it waits; ``None`` when the spool is
    unwritable too (then the record is lost, and that is logged with the traceback)."""
    session_id = record.get("session_id")
    reason = redact_text(str(error))
    try:
        file = put(folder, target, record, reason)
    except (OSError, ValueError, TypeError):  # unwritable, or a record JSON cannot hold
        logger.exception(
            "session %s: store failed (%s) and the spool %s is unwritable: record lost",
            session_id, reason, folder,
        )
        return None
    logger.error(
        "session %s: store failed, record kept in the spool at %s "
        "(send it on with `python -m session_core flush`): %s",
        session_id, file, reason,
    )
    return file


def discard(folder: Path, session_id: str) -> None:
    """Forget a spooled record once its store has it."""
    (folder / f"{session_id}.json").unlink(missing_ok=True)


def entries(folder: Path) -> Iterator[SpoolEntry]:
    """Every waiting record, oldest id first; unreadable files are logged and skipped, and
    temporary files a killed writer left are swept."""
    if not folder.is_dir():
        return
    sweep_temp_files(folder)
    for file in sorted(folder.glob("*.json")):
        try:
            payload = json.loads(file.read_text("utf-8"))
            yield SpoolEntry(
                file, payload["record"]["session_id"], payload["target"], payload["record"], payload["error"]
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("spool file %s is unreadable and was skipped: %s", file, exc)
