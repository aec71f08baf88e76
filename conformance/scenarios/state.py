"""STATE: Hypothesis state machines drive the store and a plain dict model side by side.

SC-STATE-001 drives Kedro's face; SC-STATE-002 the store-level face (write, write_many, delete,
load, listing through two instances, updates through a mapping), then a fresh process reads
what every example left (for durable stores).

SC-STATE-001's steps: set a key, delete a key, save, reopen the session in a fresh instance, switch to another
session. After every step the open mapping must equal the model's working copy; after reopen or
switch it must equal what the model says is persisted; ``read()`` and ``session_ids()`` must
agree with the persisted model.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from session_core.errors import SessionNotFound
from session_core.ids import new_session_id
from session_core.registry import StoreSpec
from session_core.store import Capabilities, SessionStore

from .._base import HYPOTHESIS_SETTINGS, ScenarioBase
from .._processes import run_workers
from .._scenario import needs
from .._values import assert_same, expected_form, portable_scalars, portable_values
from .._workers import observe

#: Few keys, so that deletes and overwrites hit keys that exist.
KEYS = st.sampled_from(["a", "b", "run", "", "ключ", "a.b"])
#: Values that stores most often mishandle (NULL columns, falsy checks, float columns), drawn
#: as often as generated scalars and generated nested values.
EDGE_VALUES = st.sampled_from([None, 0, -0.0, 1.0, False, "", [], {}, 2**64])
VALUES = EDGE_VALUES | portable_scalars() | portable_values(max_leaves=6)
SESSIONS = 3


def machine_for(spec: StoreSpec, capabilities: Capabilities) -> type[RuleBasedStateMachine]:
    """A state machine class bound to ``spec``; each example uses sessions of its own."""
    listing = capabilities.listing

    class StoreAgainstDict(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            prefix = new_session_id()
            self.session_ids = [f"{prefix}-{number}" for number in range(SESSIONS)]
            self.persisted: dict[str, dict[str, Any]] = {}
            self.current = self.session_ids[0]
            self.store: SessionStore = spec.open(self.current)
            self.working: dict[str, Any] = {}
            # a store-level instance living across the example, as `list` or `show` would
            self.lister: SessionStore = spec.open()

        def _open(self, session_id: str) -> None:
            self.store.close()
            self.current = session_id
            self.store = spec.open(session_id)
            self.working = copy.deepcopy(self.persisted.get(session_id, {}))
            assert_same(dict(self.store), self.working, f"new instance of {session_id}")

        @initialize(record=st.dictionaries(KEYS, VALUES, max_size=5))
        def start_from_a_saved_record(self, record: dict[str, Any]) -> None:
            self.store.update(record)
            self.working.update(copy.deepcopy(record))
            self.save()

        @rule(key=KEYS, value=VALUES)
        def set_key(self, key: str, value: Any) -> None:
            self.store[key] = value
            self.working[key] = copy.deepcopy(value)

        @rule(key=KEYS)
        def delete_key(self, key: str) -> None:
            if key in self.working:
                del self.store[key]
                del self.working[key]
            else:
                with pytest.raises(KeyError):
                    del self.store[key]

        @rule()
        def save(self) -> None:
            self.store.save()
            self.persisted[self.current] = expected_form(self.working)  # what a reopen must show
            saved = self.lister.load(self.current)
            assert_same(saved, self.persisted[self.current], f"load({self.current!r}) right after save()")

        @rule()
        def reopen(self) -> None:
            self._open(self.current)

        @rule(number=st.integers(0, SESSIONS - 1))
        def switch_session(self, number: int) -> None:
            self._open(self.session_ids[number])

        @rule()
        def read_persisted(self) -> None:
            assert_same(self.store.read(), self.persisted.get(self.current, {}), f"read() of {self.current}")

        @precondition(lambda self: listing)
        @rule()
        def list_sessions(self) -> None:
            mine = [sid for sid in self.lister.session_ids() if sid in self.session_ids]
            assert mine == sorted(self.persisted), f"listed {mine}, saved {sorted(self.persisted)}"

        @invariant()
        def mapping_matches_model(self) -> None:
            assert_same(dict(self.store), self.working, f"mapping of {self.current}")

        def teardown(self) -> None:
            self.store.close()
            self.lister.close()

    return StoreAgainstDict


RECORDS = st.dictionaries(KEYS, VALUES, max_size=4)


def store_machine_for(
    spec: StoreSpec, capabilities: Capabilities, finals: dict[str, dict[str, Any]]
) -> type[RuleBasedStateMachine]:
    """A state machine over the store-level face, against ``{id: record}``.

    Two store-level instances opened at the start of an example take turns (writes through one
    must be seen by the other), a Kedro mapping is opened now and then, and each example's final
    model is added to ``finals`` for the check in a fresh process.
    """

    class StoreLevelAgainstDict(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            prefix = new_session_id()
            self.session_ids = [f"{prefix}-{name}" for name in ("a", "B", "b", "c0", "c")]
            self.model: dict[str, dict[str, Any]] = {}
            self.instances = [spec.open(), spec.open()]

        def instance(self, number: int) -> SessionStore:
            return self.instances[number % 2]

        @rule(number=st.integers(0, 4), record=RECORDS, via=st.integers(0, 1))
        def write(self, number: int, record: dict[str, Any], via: int) -> None:
            self.instance(via).write(self.session_ids[number], record)
            self.model[self.session_ids[number]] = expected_form(record)

        @rule(numbers=st.lists(st.integers(0, 4), max_size=4, unique=True), records=st.lists(RECORDS, min_size=4, max_size=4), via=st.integers(0, 1))
        def write_many(self, numbers: list[int], records: list[dict[str, Any]], via: int) -> None:
            batch = [(self.session_ids[number], record) for number, record in zip(numbers, records)]
            assert self.instance(via).write_many(batch, batch_size=2) == len(batch)
            for session_id, record in batch:
                self.model[session_id] = expected_form(record)

        @precondition(lambda self: capabilities.delete)
        @rule(number=st.integers(0, 4), via=st.integers(0, 1))
        def delete(self, number: int, via: int) -> None:
            session_id = self.session_ids[number]
            if session_id in self.model:
                self.instance(via).delete(session_id)
                del self.model[session_id]
            else:
                with pytest.raises(SessionNotFound):
                    self.instance(via).delete(session_id)

        @rule(number=st.integers(0, 4), via=st.integers(0, 1))
        def load(self, number: int, via: int) -> None:
            session_id = self.session_ids[number]
            if session_id in self.model:
                assert_same(self.instance(via).load(session_id), self.model[session_id], f"load({session_id!r})")
            else:
                with pytest.raises(SessionNotFound):
                    self.instance(via).load(session_id)

        @rule(number=st.integers(0, 4), key=KEYS, value=VALUES)
        def update_through_a_mapping(self, number: int, key: str, value: Any) -> None:
            session_id = self.session_ids[number]
            with spec.open(session_id) as mapping:
                assert_same(dict(mapping), self.model.get(session_id, {}), f"new mapping of {session_id}")
                mapping[key] = value
                mapping.save()
            self.model[session_id] = {**self.model.get(session_id, {}), key: expected_form(value)}

        @precondition(lambda self: capabilities.listing)
        @rule(via=st.integers(0, 1))
        def listing(self, via: int) -> None:
            store = self.instance(via)
            mine = [sid for sid in store.session_ids() if sid in self.session_ids]
            assert mine == sorted(self.model), f"session_ids() listed {mine}, the model holds {sorted(self.model)}"
            records = [[sid, record] for sid, record in store.iter_records() if sid in self.session_ids]
            assert_same(records, [[sid, self.model[sid]] for sid in sorted(self.model)], "iter_records()")

        def teardown(self) -> None:
            for store in self.instances:
                store.close()
            finals.update(self.model)

    return StoreLevelAgainstDict


class StateScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_STATE_001_store_behaves_like_a_dict_model(self, store_spec: StoreSpec, capabilities: Capabilities) -> None:
        run_state_machine_as_test(
            machine_for(store_spec, capabilities),
            settings=settings(HYPOTHESIS_SETTINGS, max_examples=20, stateful_step_count=20),
        )

    @needs("persistent")
    def test_SC_STATE_002_store_level_face_behaves_like_a_dict_model(
        self, store_spec: StoreSpec, capabilities: Capabilities
    ) -> None:
        finals: dict[str, dict[str, Any]] = {}
        run_state_machine_as_test(
            store_machine_for(store_spec, capabilities, finals),
            settings=settings(HYPOTHESIS_SETTINGS, max_examples=15, stateful_step_count=25),
        )
        if not capabilities.durable:
            return
        [seen] = run_workers([(observe, (store_spec, sorted(finals), capabilities.listing))])
        for session_id, record in finals.items():
            assert_same(seen["records"][session_id], record, f"{session_id} read by a fresh process")
        if capabilities.listing:
            listed = [sid for sid in seen["listed"] if sid in finals]
            assert listed == sorted(finals), f"a fresh process listed {listed}, the models hold {sorted(finals)}"
