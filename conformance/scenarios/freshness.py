"""FRESH: what one instance reads reflects what another instance or process wrote or deleted.

Nothing may be served from a stale cache: not a record, not a listing, and not "not found".
Each scenario first reads everything it will check (so that a caching store has something
cached), then changes the store through another instance or another process, then reads again
through the first instance and through the Kedro face.
"""

from __future__ import annotations

import pytest

from session_core.errors import SessionNotFound
from session_core.registry import StoreSpec
from session_core.store import SessionStore

from .._base import OpenStore, ScenarioBase
from .._processes import run_workers
from .._scenario import needs
from .._values import assert_same
from .._workers import apply_changes

BEFORE = {"fresh-kept": {"v": 1}, "fresh-rewritten": {"v": 1, "old key": True}, "fresh-deleted": {"v": 1}}
WRITES = {"fresh-rewritten": {"v": 2, "new key": [2]}, "fresh-created": {"v": 2}}
DELETES = ["fresh-deleted"]
AFTER = {"fresh-created": {"v": 2}, "fresh-kept": {"v": 1}, "fresh-rewritten": {"v": 2, "new key": [2]}}


def warm_up(store: SessionStore, open_store: OpenStore) -> None:
    """Read everything the scenario checks later, as a caching store would remember it."""
    for session_id, record in BEFORE.items():
        assert_same(store.load(session_id), record, f"load({session_id!r}) before the change")
        assert_same(open_store(session_id).read(), record, f"read() of {session_id} before the change")
    with pytest.raises(SessionNotFound):
        store.load("fresh-created")
    assert not store.has_session("fresh-created")
    assert dict(open_store("fresh-created")) == {}
    if store.capabilities.listing:
        assert list(store.session_ids()) == sorted(BEFORE)
        assert [session_id for session_id, _ in store.iter_records()] == sorted(BEFORE)


def stale_reads(store: SessionStore, open_store: OpenStore, held: SessionStore) -> list[str]:
    """Every read of ``store`` (opened before the change) that does not show the change."""
    problems = []
    for session_id, record in AFTER.items():
        if not store.has_session(session_id):
            problems.append(f"has_session({session_id!r}) is false after it was written")
            continue
        got = store.load(session_id)
        if got != record:
            problems.append(f"load({session_id!r}) got {got}, expected {record}")
        if (mapping := dict(open_store(session_id))) != record:
            problems.append(f"a new mapping of {session_id} holds {mapping}, expected {record}")
    if store.has_session("fresh-deleted"):
        problems.append("has_session('fresh-deleted') is true after it was deleted")
    if (mapping := dict(open_store("fresh-deleted"))) != {}:
        problems.append(f"a new mapping of the deleted session holds {mapping}")
    if (read := held.read()) != AFTER["fresh-rewritten"]:
        problems.append(f"read() on a mapping opened before the change got {read}, expected {AFTER['fresh-rewritten']}")
    if store.capabilities.listing:
        if (listed := list(store.session_ids())) != sorted(AFTER):
            problems.append(f"session_ids() got {listed}, expected {sorted(AFTER)}")
        if (iterated := [session_id for session_id, _ in store.iter_records()]) != sorted(AFTER):
            problems.append(f"iter_records() got {iterated}, expected {sorted(AFTER)}")
    return problems


def write_before(open_store: OpenStore) -> None:
    store = open_store()
    store.write_many(BEFORE.items())
    store.close()


class FreshnessScenarios(ScenarioBase):
    @needs("persistent", "delete")
    def test_SC_FRESH_001_reads_see_another_instances_changes(self, open_store: OpenStore) -> None:
        write_before(open_store)
        store, held = open_store(), open_store("fresh-rewritten")
        warm_up(store, open_store)
        other = open_store()
        for session_id, record in WRITES.items():
            writer = open_store(session_id)
            writer.clear()
            writer.update(record)
            writer.save()
        for session_id in DELETES:
            other.delete(session_id)
        problems = stale_reads(store, open_store, held)
        assert not problems, "stale reads after another instance's changes:\n" + "\n".join(problems)

    @needs("persistent", "durable", "delete")
    def test_SC_FRESH_002_reads_see_another_processs_changes(self, store_spec: StoreSpec, open_store: OpenStore) -> None:
        write_before(open_store)
        store, held = open_store(), open_store("fresh-rewritten")
        warm_up(store, open_store)
        assert run_workers([(apply_changes, (store_spec, WRITES, DELETES))]) == [len(WRITES) + len(DELETES)]
        problems = stale_reads(store, open_store, held)
        assert not problems, "stale reads after another process's changes:\n" + "\n".join(problems)

