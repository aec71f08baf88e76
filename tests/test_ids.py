"""Session ids: sortable by creation time, unique across processes, checked before storage."""

from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timedelta, timezone

import pytest

from session_core.errors import InvalidSessionId
from session_core.ids import GENERATED_ID, KEDRO_ID, new_session_id, validate_session_id


def test_generated_ids_sort_by_creation_time():
    base = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    ids = [new_session_id(base + timedelta(microseconds=step)) for step in (0, 1, 999, 1000, 10**6)]
    assert ids == sorted(ids)


def test_ids_made_in_the_same_microsecond_by_one_process_keep_their_order():
    now = datetime.now(timezone.utc)
    ids = [new_session_id(now) for _ in range(200)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 200


def test_generated_and_kedro_ids_are_valid_and_recognised():
    generated = new_session_id()
    assert GENERATED_ID.match(generated)
    assert validate_session_id(generated) == generated
    kedro = "2022-03-09T12.34.56.789Z"
    assert KEDRO_ID.match(kedro)
    assert validate_session_id(kedro) == kedro


def _ids_at(start_at: float, count: int) -> list[str]:
    while time.time() < start_at:
        pass
    fixed = datetime.fromtimestamp(start_at, timezone.utc)  # every process: the same microsecond
    return [new_session_id(fixed) for _ in range(count)]


def test_processes_creating_ids_in_the_same_microsecond_never_collide():
    start_at = time.time() + 1.0
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        batches = pool.starmap(_ids_at, [(start_at, 250)] * 4)
    ids = [i for batch in batches for i in batch]
    assert len(ids) == 1000
    assert len(set(ids)) == 1000


@pytest.mark.parametrize(
    "bad",
    ["", "..", "../x", "/etc/passwd", "a/b", "a\\b", "a\x00b", "x" * 129, "'; DROP TABLE sessions;--",
     "trailing-newline\n",
     ".hidden", "-rf", "tab\there", "new\nline", "space here", "a..b"],
)
def test_unsafe_ids_are_refused_with_a_value_error(bad):
    with pytest.raises(InvalidSessionId) as info:
        validate_session_id(bad)
    assert isinstance(info.value, ValueError)
    assert info.value.session_id == bad


def test_non_string_ids_are_refused():
    with pytest.raises(InvalidSessionId):
        validate_session_id(12)


def test_an_id_of_exactly_128_characters_is_accepted():
    assert validate_session_id("a" * 128)
