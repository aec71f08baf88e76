"""COMPACT: a compaction racing saves, re-saves and deletes in other processes changes nothing.

For stores that declare ``compaction`` (:meth:`SessionStore.compact`). Before the race the
store holds finished sessions, compacted once, so compacted copies exist that the race then
makes stale: writers in other processes save those sessions again, delete some, and write new
ones (running first, then finished, some saved again or deleted), while another process
compacts in a loop. Afterwards the store must hold exactly the last write of every session that
was not deleted: none lost, none listed or iterated twice, none deleted coming back, no stale
compacted copy returned by any read path.
"""

from __future__ import annotations

from typing import Any

from session_core.registry import StoreSpec

from .._base import OpenStore, ScenarioBase
from .._processes import run_workers, spawn_context
from .._records import compaction_record
from .._scenario import needs
from .._workers import Change, apply_in_order, compact_until_done, new_session_changes

WRITERS = 2
#: Finished sessions compacted before the race, and new sessions each writer adds during it.
COMPACTED = 40
NEW_EACH = 30


def writer_changes(writer: int, compacted: list[str]) -> list[Change]:
    """What writer ``writer`` does: re-save its share of the compacted sessions (deleting every
    third), then write new sessions running then finished (saving every fourth again, deleting
    every fifth)."""
    changes: list[Change] = []
    for number, session_id in enumerate(compacted[writer::WRITERS]):
        changes.append(("write", session_id, 1, "completed"))
        if number % 3 == 1:
            changes.append(("delete", session_id, 0, ""))
    new = [f"compact-new-{writer}-{number:03d}" for number in range(NEW_EACH)]
    return changes + new_session_changes(new, resave=(4, 2), delete=(5, 3))


def final_state(initial: dict[str, dict[str, Any]], changes: list[Change]) -> dict[str, dict[str, Any]]:
    """The records left after ``changes`` (each session is changed by one writer only)."""
    state = dict(initial)
    for kind, session_id, version, status in changes:
        if kind == "delete":
            state.pop(session_id, None)
        else:
            state[session_id] = compaction_record(session_id, version, status)
    return state


class CompactionScenarios(ScenarioBase):
    @needs("durable", "multiprocess", "listing", "delete", "compaction")
    def test_SC_COMPACT_001_compaction_racing_writers_loses_duplicates_and_resurrects_nothing(
        self, store_spec: StoreSpec, open_store: OpenStore
    ) -> None:
        store = open_store()
        compacted = [f"compact-base-{number:03d}" for number in range(COMPACTED)]
        initial = {session_id: compaction_record(session_id, 0) for session_id in compacted}
        store.write_many(initial.items())
        store.compact()
        context = spawn_context()
        start = context.Barrier(WRITERS + 1)
        done = [context.Event() for _ in range(WRITERS)]
        plans = [writer_changes(writer, compacted) for writer in range(WRITERS)]

        *applied, rounds = run_workers(
            [(apply_in_order, (store_spec, start, done[writer], plans[writer])) for writer in range(WRITERS)]
            + [(compact_until_done, (store_spec, start, done))]
        )

        assert applied == [len(plan) for plan in plans] and rounds >= 1
        expected = final_state(initial, [change for plan in plans for change in plan])
        for reader in (open_store(), store):  # a fresh instance, and the one that compacted first
            listed = list(reader.session_ids())
            assert listed == sorted(expected), _difference("listed", listed, expected)
            iterated = list(reader.iter_records())
            assert [session_id for session_id, _ in iterated] == sorted(expected), _difference(
                "iterated", [session_id for session_id, _ in iterated], expected
            )
            stale = sorted(session_id for session_id, record in iterated if record != expected[session_id])
            assert not stale, f"iter_records returned an outdated or damaged copy of {stale}"
            loaded = sorted(session_id for session_id in expected if reader.load(session_id) != expected[session_id])
            assert not loaded, f"load returned an outdated or damaged copy of {loaded}"
        deleted = sorted(session_id for plan in plans for kind, session_id, _, _ in plan if kind == "delete")
        resurrected = [session_id for session_id in deleted if store.has_session(session_id)]
        assert not resurrected, f"deleted sessions came back after compaction: {resurrected}"


def _difference(what: str, found: list[str], expected: dict[str, Any]) -> str:
    """Which ids were lost, repeated or resurrected in ``found``."""
    lost = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    twice = sorted({session_id for session_id in found if found.count(session_id) > 1})
    return f"{what}: lost {lost[:10]}, not expected (deleted?) {extra[:10]}, repeated {twice[:10]}"
