"""What the page shows beside the runs table, computed from records: plot series and comparisons.

Pure functions over records (no store access), so the API and the tests feed them whatever
:mod:`session_core.ui.data` streams.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import timezone
from typing import Any

from session_core.history import COLUMNS, parse_time
from session_core.kinds import Status
from session_core.stats import summarize

#: The groupings the plots offer (a subset of ``stats``' groupings).
GROUPS = ("branch", "command", "host")
#: Compared keys first, in this order; the rest (user keys, env, ...) follow alphabetically.
LEADING_KEYS = ("status", "started_at", "ended_at", "duration_s", "exit_code", "git", "cli", "runtime_params")
#: Keys that are identical by construction or unreadable side by side.
SKIPPED_KEYS = ("session_id",)


def _day(started_at: Any) -> str | None:
    moment = parse_time(started_at)
    return None if moment is None else moment.astimezone(timezone.utc).date().isoformat()


def stats(records: Iterable[dict[str, Any]], group: str, limit: int) -> dict[str, Any]:
    """Plot series over the newest ``limit`` of ``records`` (which come newest first).

    ``days``: runs and failures per UTC day of ``started_at``; ``durations``: one point per run
    with a duration (oldest first); ``groups``: :func:`session_core.stats.summarize`'s figures
    per value of ``group`` (a grouping of ``stats``), so the page and ``stats`` agree.
    ``truncated`` says when more runs matched than were read.

    Raises:
        ValueError: ``group`` is not one of :data:`GROUPS`.
    """
    days: dict[str, list[int]] = {}
    durations: list[dict[str, Any]] = []
    seen = {"scanned": 0, "truncated": False}

    def observed() -> Iterator[dict[str, Any]]:
        for record in records:
            if seen["scanned"] == limit:
                seen["truncated"] = True
                return
            seen["scanned"] += 1
            day = _day(record.get("started_at"))
            if day is not None:
                counts = days.setdefault(day, [0, 0])
                counts[0] += 1
                counts[1] += record.get("status") == Status.FAILED
                duration = COLUMNS["duration_s"][0](record)
                if duration is not None:
                    durations.append({"id": record.get("session_id"), "started_at": record.get("started_at"),
                                      "duration_s": duration, "status": record.get("status")})
            yield record

    summary = summarize(observed(), by=(group,))
    durations.reverse()
    return {
        "group": group,
        **seen,
        "days": [
            {"day": day, "runs": runs, "failed": failed, "failure_rate": round(failed / runs, 4)}
            for day, (runs, failed) in sorted(days.items())
        ],
        "groups": [figures.as_dict() for figures in summary.groups[group]],
        "durations": durations,
    }


def _flatten(value: Any, prefix: str, into: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    else:
        into[prefix] = value


def _key_order(path: str) -> tuple[int, str]:
    top = path.split(".", 1)[0]
    return (LEADING_KEYS.index(top) if top in LEADING_KEYS else len(LEADING_KEYS), path)


def _same(values: list[Any]) -> bool:
    first = json.dumps(values[0], sort_keys=True)
    return all(json.dumps(v, sort_keys=True) == first for v in values[1:])


def compare(records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Records side by side: one row per dotted key path found in any of them.

    A row holds each record's value (``null`` where a record lacks the key, with ``present``
    saying which records have it) and ``differs`` when the values are not all equal.
    """
    flat = []
    for record in records:
        into: dict[str, Any] = {}
        _flatten({k: v for k, v in record.items() if k not in SKIPPED_KEYS}, "", into)
        flat.append(into)
    paths = sorted({path for into in flat for path in into}, key=_key_order)
    rows = []
    for path in paths:
        present = [path in into for into in flat]
        values = [into.get(path) for into in flat]
        rows.append({"key": path, "values": values, "present": present,
                     "differs": not all(present) or not _same(values)})
    return {"ids": [r.get("session_id") for r in records], "rows": rows}
