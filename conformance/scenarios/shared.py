"""SHARED: two processes with nothing in common but the location write and read one store.

``shared`` promises that several machines may use one location at once (object storage, a
database server). One machine cannot be two, but two spawned processes come close: each builds
its own filesystem or connection objects from the spec, with no cache, lock object or
connection pool in common, exactly as two machines would. Each writes its sessions, reads the
other's, rewrites one of the other's and deletes one of its own, and then must see the other's
changes.
"""

from __future__ import annotations

from session_core.registry import StoreSpec
from session_core.store import Capabilities

from .._base import OpenStore, ScenarioBase
from .._processes import run_workers, spawn_context
from .._scenario import needs
from .._workers import SHARED_SESSIONS, share_one_location


class SharedScenarios(ScenarioBase):
    @needs("durable", "shared", "delete")
    def test_SC_SHARED_001_two_processes_share_one_location(
        self, store_spec: StoreSpec, open_store: OpenStore, capabilities: Capabilities
    ) -> None:
        sync = spawn_context().Barrier(2)
        listing = capabilities.listing
        seen = run_workers([(share_one_location, (store_spec, sync, me, 1 - me, listing)) for me in (0, 1)])
        problems = [problem for found in seen for problem in found]
        store = open_store()
        for me in (0, 1):
            if store.has_session(f"shared-{me}-1"):
                problems.append(f"shared-{me}-1 is still stored after its writer deleted it")
            if store.load(f"shared-{me}-0") != {"overwritten by": 1 - me}:
                problems.append(f"shared-{me}-0 does not hold the other writer's overwrite")
            for number in range(2, SHARED_SESSIONS):
                if not store.has_session(f"shared-{me}-{number}"):
                    problems.append(f"shared-{me}-{number} is missing")
        assert not problems, "\n".join(problems)
