"""Run statistics over the history: runs, failure rate, median and p95 duration, per group.

Used by ``stats`` and the run browser. Durations of the records seen are held per group (8
bytes each) to take exact percentiles; the records themselves are streamed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .history import COLUMNS
from .kinds import Status

#: How ``stats`` may group runs (each a column of :data:`session_core.history.COLUMNS`).
GROUPINGS: tuple[str, ...] = ("status", "branch", "command", "host")


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Linear-interpolated percentile of sorted values (numpy's default); None when empty."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclass(frozen=True)
class GroupStats:
    """Figures of one group of runs.

    Attributes:
        group: the group's value (``None`` for runs without it, such as no git branch); for the
            overall figures, ``None``.
        runs: how many runs.
        failed: how many ended ``failed``.
        failure_rate: ``failed / runs``.
        median_s, p95_s: of the runs that recorded a duration (finished ones); ``None`` if none.
        statuses: runs per (effective) status.
    """

    group: str | None
    runs: int
    failed: int
    failure_rate: float
    median_s: float | None
    p95_s: float | None
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Tally:
    def __init__(self) -> None:
        self.runs = 0
        self.statuses: dict[str, int] = {}
        self.durations: list[float] = []

    def add(self, status: str, duration: float | None) -> None:
        self.runs += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if duration is not None:
            self.durations.append(duration)

    def result(self, group: str | None) -> GroupStats:
        self.durations.sort()
        failed = self.statuses.get(Status.FAILED, 0)
        return GroupStats(
            group, self.runs, failed, failed / self.runs if self.runs else 0.0,
            percentile(self.durations, 0.5), percentile(self.durations, 0.95), dict(sorted(self.statuses.items())),
        )


@dataclass(frozen=True)
class Summary:
    """Overall figures and, for each grouping asked for, one :class:`GroupStats` per value."""

    overall: GroupStats
    groups: dict[str, list[GroupStats]]

    def as_dict(self) -> dict[str, Any]:
        return {"overall": self.overall.as_dict(),
                **{f"by_{name}": [group.as_dict() for group in found] for name, found in self.groups.items()}}


def summarize(records: Iterable[dict[str, Any]], by: Sequence[str] = GROUPINGS) -> Summary:
    """Figures of ``records`` (with effective statuses, as :func:`iter_history` yields them),
    overall and per value of each grouping in ``by``; groups are ordered by runs, most first.

    Raises:
        ValueError: a grouping outside :data:`GROUPINGS`.
    """
    unknown = set(by) - set(GROUPINGS)
    if unknown:
        raise ValueError(f"cannot group by {sorted(unknown)}; choose from {', '.join(GROUPINGS)}")
    overall = _Tally()
    tallies: dict[str, dict[str | None, _Tally]] = {name: {} for name in by}
    duration = COLUMNS["duration_s"][0]
    for record in records:
        status = str(record.get("status"))
        seconds = duration(record)
        overall.add(status, seconds)
        for name in by:
            value = COLUMNS[name][0](record)
            tallies[name].setdefault(value, _Tally()).add(status, seconds)
    groups = {
        name: sorted((tally.result(value) for value, tally in found.items()), key=lambda g: (-g.runs, str(g.group)))
        for name, found in tallies.items()
    }
    return Summary(overall.result(None), groups)
