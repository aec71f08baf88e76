"""BAD: misuse gets the toolkit's typed errors, carrying their facts as attributes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from session_core.errors import InvalidValue, NotSupported, SessionNotFound, StoreClosed
from session_core.registry import StoreSpec
from session_core.store import Capabilities

from .._base import OpenStore, ScenarioBase
from .._scenario import needs
from .damage import damaged_copies, read_problems
from .security import local_root

#: Optional operations and how to call one on a store holding session ``"bad-probe"``.
OPTIONAL_OPERATIONS: dict[str, Callable[[Any], object]] = {
    "listing": lambda store: (list(store.session_ids()), list(store.iter_records())),
    "delete": lambda store: store.delete("bad-probe"),
    "compaction": lambda store: store.compact(),
}


class ErrorScenarios(ScenarioBase):
    def test_SC_BAD_001_unknown_session_is_not_found(self, open_store: OpenStore) -> None:
        store = open_store()
        with pytest.raises(SessionNotFound) as caught:
            store.load("bad-never-saved")
        assert caught.value.session_id == "bad-never-saved"
        assert isinstance(caught.value, KeyError)
        assert store.has_session("bad-never-saved") is False
        fresh = open_store("bad-never-saved")
        assert dict(fresh) == {} and fresh.read() == {}

    @needs("delete")
    def test_SC_BAD_002_deleting_an_unknown_session_is_not_found(self, open_store: OpenStore) -> None:
        with pytest.raises(SessionNotFound) as caught:
            open_store().delete("bad-never-saved")
        assert caught.value.session_id == "bad-never-saved"

    def test_SC_BAD_003_closed_store_refuses_every_operation(self, open_store: OpenStore, capabilities: Capabilities) -> None:
        store = open_store("bad-closed")
        store["k"] = 1
        store.close()
        operations: dict[str, Callable[[], object]] = {
            "read": store.read,
            "save": store.save,
            "load": lambda: store.load("bad-closed"),
            "has_session": lambda: store.has_session("bad-closed"),
            "write": lambda: store.write("bad-closed", {"k": 2}),
            "write_many": lambda: store.write_many([("bad-closed", {"k": 3})]),
            "format_version": store.format_version,
        }
        if capabilities.listing:
            operations["session_ids"] = lambda: list(store.session_ids())
            operations["iter_records"] = lambda: list(store.iter_records())
        if capabilities.delete:
            operations["delete"] = lambda: store.delete("bad-closed")
        problems = []
        for name, call in operations.items():
            try:
                call()
            except StoreClosed as exc:
                if not exc.location:
                    problems.append(f"{name}: StoreClosed without a location")
            except Exception as exc:
                problems.append(f"{name}: raised {type(exc).__name__} instead of StoreClosed: {exc}")
            else:
                problems.append(f"{name}: worked on a closed store")
        store.close()
        assert not problems, "\n".join(problems)
        assert not open_store().has_session("bad-closed"), "a closed store wrote a record"

    def test_SC_BAD_004_capabilities_hold_both_ways(self, open_store: OpenStore, capabilities: Capabilities) -> None:
        store = open_store()
        store.write("bad-probe", {"probe": True})
        problems = []
        for name, call in OPTIONAL_OPERATIONS.items():
            declared = getattr(capabilities, name)
            try:
                call(store)
            except NotSupported as exc:
                if declared:
                    problems.append(f"{name} is declared but raised NotSupported: {exc}")
                elif exc.capability != name:
                    problems.append(f"{name}: NotSupported names {exc.capability!r}")
            else:
                if not declared:
                    problems.append(f"{name} is declared unsupported but did not raise NotSupported")
        if capabilities.delete and capabilities.persistent and store.has_session("bad-probe"):
            problems.append("delete is declared but the deleted session is still there")
        store.write("bad-probe", {"probe": "still usable"})
        assert not problems, "\n".join(problems)

    def test_SC_BAD_005_unportable_values_refused_by_write_and_write_many(self, open_store: OpenStore) -> None:
        store = open_store()
        with pytest.raises(InvalidValue) as caught:
            store.write("bad-value", {"params": {"when": object()}})
        assert "params" in caught.value.key_path and "when" in caught.value.key_path
        batch = [(f"bad-batch-{number}", {"n": number}) for number in range(5)]
        batch.insert(3, ("bad-batch-x", {"tags": {"a"}}))
        with pytest.raises(InvalidValue) as caught:
            store.write_many(batch, batch_size=100)
        assert "tags" in caught.value.key_path
        fresh = open_store()
        written = [sid for sid, _ in batch if fresh.has_session(sid)] + (["bad-value"] if fresh.has_session("bad-value") else [])
        assert written == [], f"records written although their batch was refused: {written}"

    @needs("persistent", "durable")
    def test_SC_BAD_006_damaged_storage_is_an_error_never_not_found(
        self, store_spec: StoreSpec, open_store: OpenStore, capabilities: Capabilities, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        root = local_root(store_spec)
        if root is None:
            pytest.skip(f"SC-BAD-006: {store_spec.class_path} at {store_spec.path!r} has no local files to damage")
        record = {"damage": "probe", "n": [1, 2.5]}
        store = open_store()
        store.write("bad-damaged", record)
        store.close()
        problems = []
        damaged = 0
        for damaged, description in enumerate(damaged_copies(root, tmp_path_factory.mktemp("intact")), start=1):
            problems += [f"{description}: {problem}" for problem in read_problems(store_spec, "bad-damaged", record, capabilities.listing)]
        assert damaged, f"no file of the store was found under {root}"
        assert not problems, "\n".join(problems)
