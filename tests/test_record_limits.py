"""One limit on what a record may be, enforced at save and at read alike, on every backend.

Nesting: :data:`MAX_DEPTH` levels round-trip, one more is refused at save naming the key path.
Ints: :data:`MAX_INT_DIGITS` digits round-trip, one more is refused at ``update()`` and at save.
Size: each store's ``MAX_RECORD_BYTES``; a bigger record is refused, never truncated. A record
beyond any limit found in a store is a ``CorruptRecord`` (``tests/test_bad_records.py`` plants
them on every backend). ``Session.close()`` never raises because of the record's content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from session_core.config import parse_store
from session_core.errors import CorruptRecord, InvalidValue, RecordTooLarge, SessionError
from session_core.session import Session
from session_core.stores.sqlite import SQLiteStore
from session_core.values import DEFAULT_MAX_RECORD_BYTES, MAX_DEPTH, MAX_INT_DIGITS, Leniency, to_portable

from .planted import LOCAL_BACKENDS, plant, store_url


def nested(levels: int) -> dict[str, Any]:
    """A record ``levels`` deep (the record itself is level 1), alternating dicts and lists."""
    value: Any = "bottom"
    for level in range(levels - 1):
        value = [value] if level % 2 else {"in": value}
    return {"deep": value}


@pytest.fixture(params=sorted(LOCAL_BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path):
    with parse_store(store_url(request.param, tmp_path), None, project_path=tmp_path).open() as opened:
        yield opened


def test_nesting_at_the_limit_round_trips_and_one_level_more_is_refused_naming_the_key(store):
    store.write("at-limit", nested(MAX_DEPTH))
    assert store.load("at-limit") == nested(MAX_DEPTH)
    with pytest.raises(InvalidValue) as info:
        store.write("too-deep", nested(MAX_DEPTH + 1))
    assert info.value.key_path.startswith("$.deep")
    assert not store.has_session("too-deep")


def test_an_int_at_the_limit_round_trips_and_one_digit_more_is_refused_naming_the_key(store):
    biggest = int("9" * MAX_INT_DIGITS)
    store.write("big-int", {"n": biggest, "m": -biggest})
    assert store.load("big-int") == {"n": biggest, "m": -biggest}
    with pytest.raises(InvalidValue) as info:
        store.write("too-big-int", {"params": {"seed": biggest + 1}})
    assert info.value.key_path == "$.params.seed"
    assert not store.has_session("too-big-int")


def test_a_record_over_the_store_limit_is_refused_whole_and_nothing_is_written(store):
    limit = type(store).MAX_RECORD_BYTES
    with pytest.raises(RecordTooLarge) as info:
        store.write("huge", {"blob": "é" * (limit // 2)})  # 2 bytes a character in UTF-8
    assert (info.value.session_id, info.value.limit) == ("huge", limit)
    assert info.value.size > limit
    assert isinstance(info.value, InvalidValue)
    assert not store.has_session("huge")


def test_a_record_just_under_the_limit_is_stored_whole(tmp_path: Path):
    with SQLiteStore(tmp_path / "runs.db") as store:
        filler = DEFAULT_MAX_RECORD_BYTES - len('{"blob":""}')
        store.write("full", {"blob": "x" * filler})
        assert len(store.load("full")["blob"]) == filler


def test_a_stored_record_over_the_limit_is_a_corrupt_record_of_its_own(tmp_path: Path):
    with SQLiteStore(tmp_path / "runs.db") as store:
        store.write("fine", {"n": 1})
    plant("sqlite", tmp_path, "oversized", json.dumps({"blob": "x" * DEFAULT_MAX_RECORD_BYTES}))
    with SQLiteStore(tmp_path / "runs.db") as store:
        with pytest.raises(CorruptRecord) as info:
            store.load("oversized")
        assert info.value.session_id == "oversized"
        assert store.load("fine") == {"n": 1}


def test_update_refuses_what_could_not_be_stored_naming_the_key(tmp_path: Path):
    session = Session.create(tmp_path, store=f"sqlite:///{tmp_path / 'runs.db'}", git=False, spool_dir=tmp_path / "spool")
    with pytest.raises(InvalidValue) as info:
        session.update(metrics={"seed": 10**MAX_INT_DIGITS})
    assert info.value.key_path == "$.metrics.seed"
    with pytest.raises(InvalidValue):
        session.update(**nested(MAX_DEPTH + 1))
    session.update(ok=1)
    session.close()
    with SQLiteStore(tmp_path / "runs.db") as store:
        record = store.load(session.session_id)
    assert (record["status"], record["ok"]) == ("completed", 1)
    assert "metrics" not in record and "deep" not in record


class SmallRecordsStore(SQLiteStore):
    """A backend with a tight record limit (as a row or object size limit would impose)."""

    MAX_RECORD_BYTES: ClassVar[int] = 4096


def test_close_never_raises_for_a_record_its_store_refuses_and_keeps_it_in_the_spool(tmp_path: Path):
    store = SmallRecordsStore(tmp_path / "runs.db")
    session = Session.create(tmp_path, store=store, git=False, spool_dir=tmp_path / "spool")
    session.update(notes="n" * 10_000)
    session.close()  # must not raise
    spooled = [json.loads(f.read_text("utf-8")) for f in (tmp_path / "spool").glob("*.json")]
    assert [entry["record"]["session_id"] for entry in spooled] == [session.session_id]
    assert spooled[0]["record"]["notes"] == "n" * 10_000 and spooled[0]["record"]["status"] == "completed"
    with pytest.raises(SessionError):
        session.update(more=1)
    store.close()


@pytest.mark.parametrize("mode", list(Leniency))
def test_every_mode_bounds_depth_and_expansion_without_recursion_errors(mode: Leniency):
    shared: Any = ["x" * 100]
    for _ in range(60):
        shared = [shared, shared]  # 2**60 strings once expanded
    with pytest.raises(InvalidValue):
        to_portable({"bomb": shared}, mode=mode)
    deep: Any = "bottom"
    for _ in range(100_000):
        deep = [deep]
    if mode is Leniency.LENIENT:
        converted = to_portable({"deep": deep}, mode=mode)
        assert json.dumps(converted).count("[") == MAX_DEPTH - 1  # cut at the limit, marked
    else:
        with pytest.raises(InvalidValue):
            to_portable({"deep": deep}, mode=mode)
