"""ID: every valid id is its own session and comes back from the store exactly as written."""

from __future__ import annotations

from .._base import OpenStore, ScenarioBase
from .._scenario import needs
from .._values import assert_same

#: Valid ids that stores most often mangle: ids differing only in case, numeric-looking ids
#: (a numeric column or a "helpful" int conversion merges ``0``, ``00`` and ``0.0``), ids that
#: start with ``_`` or a digit, ids with dots and dashes (a suffix or extension stripped on
#: listing), and ids that share a prefix.
TRICKY_IDS = (
    "Run1",
    "run1",
    "RUN1",
    "rUn1",
    "0",
    "00",
    "007",
    "0.0",
    "1e3",
    "1000",
    "_",
    "_hidden",
    "__init__",
    "a-",
    "a_",
    "a.json",
    "a.json.tmp",
    "a",
    "ab",
    "abc",
    "x.db-wal",
    "9-9.9_9",
)


def marked(session_id: str) -> dict[str, object]:
    return {"id": session_id, "length": len(session_id)}


class IdScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_ID_001_ids_come_back_exactly_as_written(self, open_store: OpenStore) -> None:
        writer = open_store()
        for session_id in TRICKY_IDS:
            writer.write(session_id, marked(session_id))
        store = open_store()
        for session_id in TRICKY_IDS:
            assert_same(store.load(session_id), marked(session_id), f"load({session_id!r})")
        if store.capabilities.listing:
            listed = list(store.session_ids())
            assert listed == sorted(TRICKY_IDS), f"session_ids() gave {listed}, expected {sorted(TRICKY_IDS)}"
            records = [(session_id, record) for session_id, record in store.iter_records()]
            expected = [(session_id, marked(session_id)) for session_id in sorted(TRICKY_IDS)]
            assert records == expected, f"iter_records() gave {records}, expected {expected}"
