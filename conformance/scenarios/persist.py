"""PERSIST: a saved record outlives its instance and its process, and a save replaces it whole."""

from __future__ import annotations

from session_core.registry import StoreSpec

from .._base import OpenStore, ScenarioBase
from .._processes import run_workers
from .._scenario import needs
from .._values import CORPUS, assert_same, expected_form
from .._workers import read_then_write

RUN_RECORD = CORPUS["kedro run record"]


class PersistScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_PERSIST_001_saved_record_survives_a_fresh_instance(self, open_store: OpenStore) -> None:
        store = open_store("persist-instance")
        store.update(RUN_RECORD)
        store.save()
        store.close()
        expected = expected_form(RUN_RECORD)
        assert_same(dict(open_store("persist-instance")), expected, "new mapping")
        assert_same(open_store("persist-instance").read(), expected, "read()")
        assert_same(open_store().load("persist-instance"), expected, "load()")

    @needs("persistent", "durable")
    def test_SC_PERSIST_002_saved_record_survives_a_fresh_process(
        self, store_spec: StoreSpec, open_store: OpenStore
    ) -> None:
        parent = open_store("persist-from-parent")
        parent.update(RUN_RECORD)
        parent.save()
        parent.close()
        from_child = {"written by": "a spawned process", "numbers": [1, 1.0, 2**70]}
        [seen_by_child] = run_workers(
            [(read_then_write, (store_spec, "persist-from-parent", "persist-from-child", from_child))]
        )
        assert_same(seen_by_child, expected_form(RUN_RECORD), "what a fresh process read")
        assert_same(open_store().load("persist-from-child"), from_child, "what a fresh process saved")

    @needs("persistent")
    def test_SC_PERSIST_003_save_replaces_the_whole_record(self, open_store: OpenStore) -> None:
        first = open_store("persist-replace")
        first.update({"a": 1, "b": [2], "c": {"d": 3}})
        first.save()
        first.close()
        second = open_store("persist-replace")
        assert_same(dict(second), {"a": 1, "b": [2], "c": {"d": 3}}, "a new instance starts from the record")
        del second["b"]
        second["c"] = {"e": 4}
        second["f"] = "new"
        second.save()
        second.save()
        assert_same(open_store("persist-replace").read(), {"a": 1, "c": {"e": 4}, "f": "new"}, "after the second save")
        store = open_store()
        store.write("persist-replace", {"only": True})
        assert_same(open_store("persist-replace").read(), {"only": True}, "after write()")
