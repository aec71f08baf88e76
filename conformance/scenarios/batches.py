"""BATCH: ``write_many`` writes every record of every batch and replaces records as ``write`` does."""

from __future__ import annotations

from .._base import OpenStore, ScenarioBase
from .._scenario import needs
from .._values import assert_same

#: Sessions written per call, and the batch size: several full batches and a partial one.
RECORDS = 53
BATCH = 7


def version(session_id: str, number: int) -> dict[str, object]:
    return {"session": session_id, "version": number, f"only in version {number}": True}


class BatchScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_BATCH_001_write_many_replaces_and_writes_every_record(self, open_store: OpenStore) -> None:
        ids = [f"batch-{number:03d}" for number in range(RECORDS)]
        store = open_store()
        for session_id in ids[::3]:  # a third exists before the batches
            store.write(session_id, version(session_id, 0))
        assert store.write_many(((sid, version(sid, 1)) for sid in ids), batch_size=BATCH) == RECORDS
        fresh = open_store()
        problems = []
        for session_id in ids:
            if not fresh.has_session(session_id):
                problems.append(f"{session_id} is missing")
            elif (found := fresh.load(session_id)) != version(session_id, 1):
                problems.append(f"{session_id} holds {found}, expected exactly {version(session_id, 1)}")
        assert not problems, f"after write_many of {RECORDS} records in batches of {BATCH}:\n" + "\n".join(problems)
        single, batched = open_store(), open_store()
        single.write("batch-000", {"replaced": "by write"})
        batched.write_many([("batch-001", {"replaced": "by write_many"})])
        assert_same(open_store().load("batch-000"), {"replaced": "by write"}, "after write()")
        assert_same(open_store().load("batch-001"), {"replaced": "by write_many"}, "after write_many()")
