"""Records that a checker can recognise as whole: used by scenarios whose writers run elsewhere.

A writer in another process (or one killed mid-save) cannot tell the parent what it wrote, so
the records are derived from their id or version alone: the parent rebuilds the expected record
and compares, which catches a missing key, a truncated payload or a mix of two versions.
"""

from __future__ import annotations

import hashlib
from typing import Any


def _payload(seed: str, chars: int) -> str:
    unit = f"{seed}|"
    return (unit * (chars // len(unit) + 1))[:chars]


def session_record(session_id: str, payload_chars: int = 64) -> dict[str, Any]:
    """The record a writer saves for ``session_id``; equal only to itself."""
    payload = _payload(session_id, payload_chars)
    return {
        "session_id": session_id,
        "payload": payload,
        "digest": hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        "numbers": [len(session_id), payload_chars, -1],
    }


def versioned_record(version: int, payload_chars: int) -> dict[str, Any]:
    """Version ``version`` of a record that is rewritten many times."""
    payload = _payload(f"v{version:08d}", payload_chars)
    return {
        "version": version,
        "payload": payload,
        "digest": hashlib.sha256(payload.encode("utf-8")).hexdigest(),
    }


def whole_version(record: Any, payload_chars: int) -> int | None:
    """The version of ``record`` if it is exactly one whole version, else ``None``."""
    if not isinstance(record, dict) or type(record.get("version")) is not int:
        return None
    version = record["version"]
    return version if record == versioned_record(version, payload_chars) else None


def writer_record(writer: int, round_number: int, payload_chars: int) -> dict[str, Any]:
    """What writer number ``writer`` saves into one contended session in round ``round_number``."""
    payload = _payload(f"w{writer}", payload_chars)
    return {"writer": writer, "round": round_number, "payload": payload, "marks": [writer] * 16}


def whole_writer(record: Any, payload_chars: int) -> bool:
    """True when ``record`` is exactly one writer's record (no mix of two writers)."""
    if not isinstance(record, dict) or type(record.get("writer")) is not int:
        return False
    if type(record.get("round")) is not int:
        return False
    return record == writer_record(record["writer"], record["round"], payload_chars)


def compaction_record(session_id: str, version: int, status: str = "completed") -> dict[str, Any]:
    """Version ``version`` of ``session_id``'s run record, as a run that is ``status`` saves it."""
    payload = _payload(f"{session_id}@{version}", 96)
    return {"session_id": session_id, "status": status, "version": version, "payload": payload}
