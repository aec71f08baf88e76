"""SEC: hostile session ids are refused before storage is touched; nothing escapes the root."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from session_core.errors import InvalidSessionId
from session_core.registry import StoreSpec

from .._base import OpenStore, ScenarioBase
from .._scenario import needs
from .._values import assert_same

HOSTILE_IDS = (
    "..",
    "../x",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "a\x00b",
    "",
    "x" * 300,
    "x'; DROP TABLE sessions; --",
    ".",
    "-rf",
    "a\nb",
    5,
)
#: Ids at the edge of what is allowed: each must be stored and kept apart from the others.
EDGE_IDS = ("a" * 128, "A", "2021-08-10T12.12.42.311Z", "a.b", "a_b-c", "a.", "Run1", "x.json", "0")
CANARY = "x"
CANARY_TEXT = "canary: must never change"


def local_root(spec: StoreSpec) -> Path | None:
    """The store's root on the local file system, when it has one."""
    path = spec.path
    if isinstance(path, str) and path.startswith("file://"):
        path = path[len("file://"):]
    if isinstance(path, (str, os.PathLike)) and "://" not in str(path):
        return Path(path)
    return None


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: relative path -> (size, modification time in ns)."""
    found = {}
    for directory, _, files in os.walk(folder):
        for name in files:
            path = Path(directory, name)
            stat = path.stat()
            found[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return found


def entry_points(store: Any, spec: StoreSpec) -> dict[str, Callable[[Any], object]]:
    """Every public operation that takes a session id."""
    return {
        "open with the id": lambda sid: spec.open(sid),
        "load": lambda sid: store.load(sid),
        "has_session": lambda sid: store.has_session(sid),
        "write": lambda sid: store.write(sid, {"hostile": True}),
        "write_many": lambda sid: store.write_many([(sid, {"hostile": True})]),
        "delete": lambda sid: store.delete(sid),
    }


def refusal_problems(operations: dict[str, Callable[[Any], object]]) -> list[str]:
    problems = []
    for hostile in HOSTILE_IDS:
        for name, call in operations.items():
            try:
                call(hostile)
            except InvalidSessionId as exc:
                if exc.session_id != hostile:
                    problems.append(f"{name}({hostile!r}): InvalidSessionId.session_id is {exc.session_id!r}")
            except Exception as exc:
                problems.append(f"{name}({hostile!r}): raised {type(exc).__name__} instead of InvalidSessionId")
            else:
                problems.append(f"{name}({hostile!r}) was accepted")
    return problems


class SecurityScenarios(ScenarioBase):
    def test_SC_SEC_001_hostile_ids_refused_before_storage_is_touched(
        self, store_spec: StoreSpec, open_store: OpenStore
    ) -> None:
        root = local_root(store_spec)
        around = root.parent if root is not None else None
        if around is not None:
            around.mkdir(parents=True, exist_ok=True)
            (around / CANARY).write_text(CANARY_TEXT)
            before_open = snapshot(around)
        problems = refusal_problems({"open with the id": lambda sid: store_spec.open(sid)})
        if around is not None and snapshot(around) != before_open:
            problems.append("opening with a hostile id created or changed files before refusing it")
        store = open_store()
        store.write("sec-control", {"control": 1})
        if around is not None:
            before = snapshot(around)
        problems += refusal_problems(entry_points(store, store_spec))
        if around is not None:
            after = snapshot(around)
            if after != before:
                changed = sorted(set(after.items()) ^ set(before.items()))
                problems.append(f"files around the store changed: {changed[:10]}")
            if (around / CANARY).read_text() != CANARY_TEXT:
                problems.append("the canary beside the store root was overwritten")
        fresh = open_store()
        if store.capabilities.persistent:
            assert_same(fresh.load("sec-control"), {"control": 1}, "the control record")
        if store.capabilities.listing:
            listed = list(fresh.session_ids())
            if listed not in ([], ["sec-control"]):
                problems.append(f"the store lists {listed[:10]} after hostile calls")
        assert not problems, "\n".join(problems)

    @needs("persistent")
    def test_SC_SEC_002_ids_at_the_edge_are_accepted_and_kept_apart(self, open_store: OpenStore) -> None:
        for session_id in EDGE_IDS:
            store = open_store(session_id)
            store["id"] = session_id
            store.save()
            store.close()
        store = open_store()
        for session_id in EDGE_IDS:
            assert_same(store.load(session_id), {"id": session_id}, f"load({session_id!r})")
        if store.capabilities.listing:
            assert list(store.session_ids()) == sorted(EDGE_IDS)
