"""CRASH: a writer killed with SIGKILL at seeded points loses nothing it acknowledged.

Each round spawns a writer that saves new sessions and rewrites one session, reporting every
finished save through a pipe, and kills it at a point drawn from a seeded generator: while it
opens the store (first round, on a brand-new location), or shortly after its k-th
acknowledgement. After each kill the store must open, hold every acknowledged save intact, hold
the in-flight save whole or not at all, and hold no torn record anywhere.
"""

from __future__ import annotations

import random

from session_core.errors import CorruptRecord
from session_core.registry import StoreSpec
from session_core.store import SessionStore

from .._base import OpenStore, ScenarioBase
from .._processes import KilledWriter, kill_writer_after
from .._records import session_record, whole_version
from .._scenario import needs
from .._workers import crash_writer

SEED = 20240611
ROUNDS = 4
PAYLOAD_CHARS = 32 * 1024
OVERWRITTEN = "crash-rewritten"
#: The longest pause between reaching the chosen acknowledgement and the kill.
MAX_DELAY_S = 0.03


def kill_points(seed: int) -> list[tuple[int, float]]:
    """``(acknowledgements, delay)`` per round; round 0 kills while the store is being opened."""
    rng = random.Random(seed)
    points = [(0, rng.uniform(0.0, MAX_DELAY_S))]
    points += [(rng.randint(1, 16), rng.uniform(0.0, MAX_DELAY_S)) for _ in range(ROUNDS - 1)]
    return points


def damage_after_kill(
    store: SessionStore, acknowledged: list[str], in_flight: str, allowed_versions: set[int | None]
) -> tuple[list[str], int | None]:
    """What is wrong with ``store`` after a kill, and the version the rewritten session holds.

    ``allowed_versions`` are the versions the rewritten session may hold (``None``: absent).
    """
    problems = []
    for session_id in acknowledged:
        if not store.has_session(session_id):
            problems.append(f"acknowledged {session_id} is missing")
        elif store.load(session_id) != session_record(session_id, PAYLOAD_CHARS):
            problems.append(f"acknowledged {session_id} is damaged")
    try:
        if store.has_session(in_flight) and store.load(in_flight) != session_record(in_flight, PAYLOAD_CHARS):
            problems.append(f"the in-flight save {in_flight} is torn")
    except CorruptRecord as exc:
        problems.append(f"the in-flight save {in_flight} is torn: {exc}")
    version = None
    try:
        if store.has_session(OVERWRITTEN):
            version = whole_version(store.load(OVERWRITTEN), PAYLOAD_CHARS)
            if version is None:
                problems.append(f"{OVERWRITTEN} is not one whole version")
    except CorruptRecord as exc:
        problems.append(f"{OVERWRITTEN} is torn: {exc}")
    if version not in allowed_versions and not problems:
        problems.append(f"{OVERWRITTEN} holds version {version}, expected one of {allowed_versions}")
    if store.capabilities.listing:
        try:
            for _ in store.iter_records():
                pass
        except CorruptRecord as exc:
            problems.append(f"a torn record is listed: {exc}")
    return problems, version


class CrashScenarios(ScenarioBase):
    @needs("durable", "crash_safe")
    def test_SC_CRASH_001_killed_writer_loses_nothing_acknowledged(self, store_spec: StoreSpec, open_store: OpenStore) -> None:
        acknowledged: list[str] = []
        version: int | None = None
        for round_number, (acks, delay) in enumerate(kill_points(SEED)):
            prefix = f"crash-{round_number}-"
            first_version = 0 if version is None else version + 1
            written: KilledWriter = kill_writer_after(
                crash_writer, (store_spec, prefix, OVERWRITTEN, first_version, PAYLOAD_CHARS), acks, delay
            )
            acknowledged += written.saved
            saves = len(written.saved)
            allowed = {written.rewritten[-1] if written.rewritten else version}
            if saves:  # the rewrite that follows the last acknowledged save may be in flight
                allowed.add(first_version + saves - 1)
            in_flight = f"{prefix}{saves:06d}"
            problems, version = damage_after_kill(open_store(), acknowledged, in_flight, allowed)
            where = f"round {round_number} (seed {SEED}, killed {delay:.4f} s after acknowledgement {acks})"
            assert not problems, f"{where}:\n" + "\n".join(problems)
