"""ISO: sessions never see each other, even when one id is a prefix of another."""

from __future__ import annotations

import pytest

from session_core.errors import SessionNotFound

from .._base import OpenStore, ScenarioBase
from .._scenario import needs
from .._values import assert_same

#: Ids that trap stores matching by prefix, pattern or case-folded name.
SAVED = ("run1", "run10", "run1_", "run1.0", "run100x")
#: Prefixes and extensions of saved ids that were never saved themselves.
NEVER_SAVED = ("run", "run10x", "run1.", "run1_0", "ru")


def owned_by(session_id: str) -> dict[str, object]:
    return {"owner": session_id, "marks": [session_id] * 3}


def save_all(open_store: OpenStore, session_ids: tuple[str, ...]) -> None:
    for session_id in session_ids:
        store = open_store(session_id)
        store.update(owned_by(session_id))
        store.save()
        store.close()


class IsolationScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_ISO_001_sessions_never_see_each_other(self, open_store: OpenStore) -> None:
        save_all(open_store, SAVED)
        store = open_store()
        for session_id in SAVED:
            assert_same(dict(open_store(session_id)), owned_by(session_id), f"new mapping of {session_id}")
            assert_same(store.load(session_id), owned_by(session_id), f"load({session_id!r})")
        for session_id in NEVER_SAVED:
            assert dict(open_store(session_id)) == {}, f"a new mapping of unsaved {session_id!r} holds data"
            assert not store.has_session(session_id), f"has_session({session_id!r}) for an unsaved id"
            with pytest.raises(SessionNotFound):
                store.load(session_id)

    @needs("persistent", "delete")
    def test_SC_ISO_002_deleting_one_session_leaves_the_others(self, open_store: OpenStore) -> None:
        save_all(open_store, SAVED)
        store = open_store()
        store.delete("run1")
        with pytest.raises(SessionNotFound):
            open_store().load("run1")
        assert dict(open_store("run1")) == {}, "a new mapping of a deleted session holds data"
        for session_id in SAVED[1:]:
            assert_same(open_store().load(session_id), owned_by(session_id), f"load({session_id!r}) after deleting run1")
        if store.capabilities.listing:
            assert list(open_store().session_ids()) == sorted(SAVED[1:])
        save_all(open_store, ("run1",))
        assert_same(open_store().load("run1"), owned_by("run1"), "run1 saved again after its delete")
