"""CONC: several spawned processes using one store location at the same time."""

from __future__ import annotations

from session_core.registry import StoreSpec

from .._base import OpenStore, ScenarioBase
from .._processes import run_workers, spawn_context
from .._records import session_record, versioned_record, whole_version, whole_writer
from .._scenario import needs
from .._workers import contend_one_session, read_versions, rewrite_versions, save_sessions

PROCESSES = 4
SESSIONS_EACH = 10
CONTENDED_ROUNDS = 10
REWRITES = 25
PAYLOAD_CHARS = 16 * 1024


class ConcurrencyScenarios(ScenarioBase):
    @needs("durable", "multiprocess")
    def test_SC_CONC_001_parallel_writers_lose_nothing(self, store_spec: StoreSpec, open_store: OpenStore) -> None:
        start = spawn_context().Barrier(PROCESSES)
        batches = [[f"conc-{writer}-{number:03d}" for number in range(SESSIONS_EACH)] for writer in range(PROCESSES)]
        counts = run_workers([(save_sessions, (store_spec, start, batch, 512)) for batch in batches])
        assert counts == [SESSIONS_EACH] * PROCESSES
        store = open_store()
        expected = sorted(sid for batch in batches for sid in batch)
        if store.capabilities.listing:
            assert list(store.session_ids()) == expected
        damaged = [sid for sid in expected if not store.has_session(sid) or store.load(sid) != session_record(sid, 512)]
        assert not damaged, f"{len(damaged)} of {len(expected)} records missing or damaged: {damaged[:10]}"

    @needs("durable", "multiprocess")
    def test_SC_CONC_002_parallel_saves_of_one_session_leave_one_whole_winner(
        self, store_spec: StoreSpec, open_store: OpenStore
    ) -> None:
        start = spawn_context().Barrier(PROCESSES)
        jobs = [
            (contend_one_session, (store_spec, start, "conc-contended", writer, CONTENDED_ROUNDS, PAYLOAD_CHARS))
            for writer in range(PROCESSES)
        ]
        assert run_workers(jobs) == [CONTENDED_ROUNDS] * PROCESSES
        winner = open_store().load("conc-contended")
        assert whole_writer(winner, PAYLOAD_CHARS), f"the record is no single writer's: {str(winner)[:200]}"
        assert winner["round"] == CONTENDED_ROUNDS - 1, "the winner's record is not its last save"

    @needs("durable", "multiprocess")
    def test_SC_CONC_003_readers_see_only_whole_records(self, store_spec: StoreSpec, open_store: OpenStore) -> None:
        open_store().write("conc-rewritten", versioned_record(0, PAYLOAD_CHARS))
        context = spawn_context()
        start, done = context.Barrier(2), context.Event()
        (rewrites, (reads, problems)) = run_workers(
            [
                (rewrite_versions, (store_spec, start, done, "conc-rewritten", range(1, REWRITES + 1), PAYLOAD_CHARS)),
                (read_versions, (store_spec, start, done, "conc-rewritten", PAYLOAD_CHARS)),
            ]
        )
        assert rewrites == REWRITES
        assert not problems, f"the reader saw {len(problems)} bad records in {reads} reads:\n" + "\n".join(problems)
        assert whole_version(open_store().load("conc-rewritten"), PAYLOAD_CHARS) == REWRITES
