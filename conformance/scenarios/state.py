"""STATE: a Hypothesis state machine drives the store and a plain dict model side by side.

Steps: set a key, delete a key, save, reopen the session in a fresh instance, switch to another
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

from session_core.ids import new_session_id
from session_core.registry import StoreSpec
from session_core.store import SessionStore

from .._base import HYPOTHESIS_SETTINGS, ScenarioBase
from .._scenario import needs
from .._values import assert_same, expected_form, portable_scalars, portable_values

#: Few keys, so that deletes and overwrites hit keys that exist.
KEYS = st.sampled_from(["a", "b", "run", "", "ключ", "a.b"])
#: Values that stores most often mishandle (NULL columns, falsy checks, float columns), drawn
#: as often as generated scalars and generated nested values.
EDGE_VALUES = st.sampled_from([None, 0, -0.0, 1.0, False, "", [], {}, 2**64])
VALUES = EDGE_VALUES | portable_scalars() | portable_values(max_leaves=6)
SESSIONS = 3


def machine_for(spec: StoreSpec) -> type[RuleBasedStateMachine]:
    """A state machine class bound to ``spec``; each example uses sessions of its own."""
    listing = spec.store_class().capabilities.listing

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


class StateScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_STATE_001_store_behaves_like_a_dict_model(self, store_spec: StoreSpec) -> None:
        run_state_machine_as_test(
            machine_for(store_spec),
            settings=settings(HYPOTHESIS_SETTINGS, max_examples=20, stateful_step_count=20),
        )
