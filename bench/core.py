"""Shared machinery: a measured figure, its target, and the timers every suite uses.

A :class:`Figure` is one measured value beside its raw limit measured in the same run. Times
are the best of several repeats on both sides (the least disturbed run of a noisy machine);
rates are records per second over one whole batch.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: Units in which a bigger value is better (rates); ratios of these read "of raw".
RATE_UNITS = frozenset({"rec/s"})


@dataclass(frozen=True)
class Target:
    """A bound that a figure must meet.

    Attributes:
        on: what is bounded: ``"ratio"`` (value / limit), ``"value"`` (the value itself) or
            ``"excess"`` (value - limit, in the figure's unit).
        op: ``"<="``, ``">="`` or ``"=="``.
        bound: the number on the right-hand side.
    """

    on: str
    op: str
    bound: float

    def check(self, figure: Figure) -> bool:
        subject = {"ratio": figure.ratio, "value": figure.value, "excess": figure.excess}[self.on]
        if subject is None:
            return False
        if self.op == "<=":
            return subject <= self.bound
        if self.op == ">=":
            return subject >= self.bound
        return subject == self.bound

    def describe(self, unit: str) -> str:
        suffix = {"ratio": "x", "value": f" {unit}", "excess": f" {unit} over raw"}[self.on]
        return f"{self.op} {self.bound:g}{suffix}"


@dataclass
class Figure:
    """One measurement beside its raw limit.

    Attributes:
        group: the suite and backend, e.g. ``"bulk/sqlite"``.
        name: what was measured, e.g. ``"batch write"``.
        value: the toolkit's figure, in ``unit``.
        limit: the raw library doing the same work, same run, same unit (``None`` when there is
            no raw counterpart, e.g. a request count).
        unit: ``"ms"``, ``"rec/s"``, ``"requests"``, ``"MiB"`` ...
        target: the bound this figure must meet, or ``None`` for an informative figure.
        sessions: how many sessions the figure is about (plotted against), when it scales.
        note: what the limit is, or why a target cannot be met.
    """

    group: str
    name: str
    value: float
    limit: float | None
    unit: str
    target: Target | None = None
    sessions: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.limit in (None, 0):
            return None
        return self.value / self.limit

    @property
    def excess(self) -> float | None:
        return None if self.limit is None else self.value - self.limit

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.check(self)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = None if self.target is None else {
            **asdict(self.target), "text": self.target.describe(self.unit)
        }
        data.update(ratio=self.ratio, met=self.met)
        return data


def best_time(fn: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None) -> float:
    """The fastest of ``repeat`` runs of ``fn``, in seconds (``setup`` runs untimed before each)."""
    best = float("inf")
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def best_pair(a: Callable[[], Any], b: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best times of ``a`` and ``b``, interleaved so that drift of the machine hits both alike."""
    best_a = best_b = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        a()
        best_a = min(best_a, time.perf_counter() - start)
        start = time.perf_counter()
        b()
        best_b = min(best_b, time.perf_counter() - start)
    return best_a, best_b


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """``(seconds, result)`` of one run of ``fn``, after a garbage collection."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def ms(seconds: float) -> float:
    return seconds * 1000.0
