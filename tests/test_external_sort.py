"""A compaction's listing sorts more names than it holds in memory: spilled runs, merged."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

from session_core.stores._external_sort import sorted_bounded

NAMES = [f"{random.Random(n).choice('abcxyz')}{n:05d}-{n % 7}" for n in range(500)]


@pytest.mark.parametrize("held", [1, 3, 100, 500, 501, 10_000])
def test_names_come_back_in_order_whatever_the_bound(held: int) -> None:
    shuffled = random.Random(held).sample(NAMES, len(NAMES))
    assert list(sorted_bounded(shuffled, held)) == sorted(NAMES)


def test_no_names_give_nothing() -> None:
    assert list(sorted_bounded([], 3)) == []


def test_spilled_runs_leave_no_file_behind_even_when_the_reader_stops_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    names = sorted_bounded(reversed(NAMES), 50)
    assert [next(names) for _ in range(3)] == sorted(NAMES)[:3]
    names.close()
    assert list(sorted_bounded(NAMES, 50)) == sorted(NAMES)
    assert list(tmp_path.iterdir()) == []
