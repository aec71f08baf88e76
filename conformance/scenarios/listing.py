"""LIST: enumerating sessions: empty, oldest first, thousands, streamed rather than loaded."""

from __future__ import annotations

import random
from collections import Counter
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from session_core.ids import new_session_id

from .._base import OpenStore, ScenarioBase
from .._records import session_record
from .._scenario import needs

MANY = 1200
STREAMED_RECORDS = 64
STREAMED_CHARS = 64 * 1024
#: Records listed while another instance writes and deletes: more than one page of every
#: built-in backend (SQLite fetches 1,000 rows, S3 lists 1,000 keys, shelve reads 200).
PAGED = 1500
#: Another instance changes the store after every this many listed ids.
CHANGE_EVERY = 150


def ids_in_creation_order() -> list[str]:
    """Generated and Kedro-style ids, interleaved in time, in the order they were created."""
    start = datetime(2021, 8, 10, 12, 12, 42, tzinfo=timezone.utc)
    ids = []
    for step in range(12):
        moment = start + timedelta(days=step * 40, seconds=step, microseconds=step * 1001)
        if step % 3 == 2:
            ids.append(moment.strftime("%Y-%m-%dT%H.%M.%S.") + f"{moment.microsecond // 1000:03d}Z")
        else:
            ids.append(new_session_id(moment))
    return ids


class ListingScenarios(ScenarioBase):
    @needs("listing")
    def test_SC_LIST_001_empty_store_lists_nothing(self, open_store: OpenStore) -> None:
        store = open_store()
        assert list(store.session_ids()) == []
        assert list(store.iter_records()) == []

    @needs("persistent", "listing")
    def test_SC_LIST_002_sessions_listed_oldest_first(self, open_store: OpenStore) -> None:
        created = ids_in_creation_order()
        shuffled = created[:]
        random.Random(2).shuffle(shuffled)
        for session_id in shuffled:
            store = open_store(session_id)
            store["created"] = created.index(session_id)
            store.save()
            store.close()
        store = open_store()
        assert list(store.session_ids()) == created
        assert [(sid, record["created"]) for sid, record in store.iter_records()] == [
            (sid, number) for number, sid in enumerate(created)
        ]

    @pytest.mark.slow
    @needs("persistent", "listing")
    def test_SC_LIST_003_thousands_of_sessions_each_listed_once(self, open_store: OpenStore) -> None:
        ids = [new_session_id() for _ in range(MANY)]
        open_store().write_many((sid, session_record(sid)) for sid in ids)
        store = open_store()
        assert list(store.session_ids()) == sorted(ids)
        count = 0
        for count, (session_id, record) in enumerate(store.iter_records(), start=1):
            assert record == session_record(session_id), f"record of {session_id} differs"
        assert count == MANY

    @needs("persistent", "listing")
    def test_SC_LIST_004_listing_streams_ids_without_loading_records(self, open_store: OpenStore) -> None:
        ids = [f"list-stream-{number:03d}" for number in range(STREAMED_RECORDS)]
        open_store().write_many((sid, session_record(sid, STREAMED_CHARS)) for sid in ids)
        store = open_store()
        listed = store.session_ids()
        assert isinstance(listed, Iterator), f"session_ids() returned a {type(listed).__name__}, not an iterator"
        tracemalloc.start()
        try:
            assert list(listed) == ids
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        total = STREAMED_RECORDS * STREAMED_CHARS
        assert peak < total // 4, f"listing ids allocated {peak} bytes at peak; the records hold {total}"
        records = store.iter_records()
        assert isinstance(records, Iterator), f"iter_records() returned a {type(records).__name__}"
        assert [sid for sid, _ in records] == ids

    @pytest.mark.slow
    @needs("persistent", "listing", "delete")
    def test_SC_LIST_005_changes_between_pages_leave_no_gap_or_duplicate(self, open_store: OpenStore) -> None:
        ids = [f"page-{number:05d}" for number in range(0, 2 * PAGED, 2)]
        open_store().write_many((sid, {"n": number}) for number, sid in enumerate(ids))
        other = open_store()
        listed: list[str] = []
        deleted: set[str] = set()
        added: set[str] = set()
        stream = open_store().session_ids()
        for position, session_id in enumerate(stream):
            listed.append(session_id)
            if position % CHANGE_EVERY != CHANGE_EVERY - 1:
                continue
            behind = ids[position // 2]
            if (position // CHANGE_EVERY) % 2:  # a new record behind the reader
                new = [f"page-{int(behind[5:]) + 1:05d}"]
            else:  # one record behind and one ahead deleted, a new one ahead
                gone = [sid for sid in (behind, ids[min(position + CHANGE_EVERY // 2, len(ids) - 1)]) if sid not in deleted]
                for sid in gone:
                    other.delete(sid)
                deleted.update(gone)
                new = [f"page-{int(session_id[5:]) + 1:05d}"]
            other.write_many((sid, {"new": True}) for sid in new)
            added.update(new)
        problems = []
        if listed != sorted(listed):
            problems.append("not ascending")
        if duplicates := sorted(sid for sid, count in Counter(listed).items() if count > 1):
            problems.append(f"listed twice: {duplicates[:10]}")
        untouched = [sid for sid in ids if sid not in deleted]
        if gaps := sorted(set(untouched) - set(listed)):
            problems.append(f"{len(gaps)} records present throughout were not listed: {gaps[:10]}")
        if strangers := sorted(set(listed) - set(ids) - added):
            problems.append(f"listed ids never written: {strangers[:10]}")
        assert not problems, f"listing {len(ids)} records with changes between pages: " + "; ".join(problems)

    @needs("persistent", "listing", "delete")
    def test_SC_LIST_006_listing_shows_empty_records_and_forgets_deleted_ones(self, open_store: OpenStore) -> None:
        store = open_store()
        records = {"list-a": {}, "list-b": {"k": 1}, "list-c": {}, "list-d": {"k": None}, "list-e": {"k": []}}
        for session_id, record in records.items():
            store.write(session_id, record)
        store.delete("list-b")
        store.delete("list-c")
        kept = {sid: record for sid, record in records.items() if sid not in ("list-b", "list-c")}
        fresh = open_store()
        assert list(fresh.session_ids()) == sorted(kept)
        assert list(fresh.iter_records()) == sorted(kept.items())
        fresh.write("list-c", {})
        assert list(open_store().session_ids()) == ["list-a", "list-c", "list-d", "list-e"]
