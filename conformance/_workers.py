"""Code that runs in spawned processes: writers, readers and the writer that gets killed.

Kept free of pytest and Hypothesis, so a spawned process starts fast. Every worker rebuilds its
store from the picklable :class:`~session_core.registry.StoreSpec`, exactly as a separate
``kedro run`` would, and reports back through a queue or a pipe.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from session_core.registry import StoreSpec

from ._records import compaction_record, session_record, versioned_record, whole_version, writer_record

#: Sessions each of the two writers of the shared scenario creates.
SHARED_SESSIONS = 4

#: A change a worker applies: ``("write", id, version, status)`` or ``("delete", id, 0, "")``.
Change = tuple[str, str, int, str]


def run(index: int, work: Callable[..., Any], args: tuple[Any, ...], results: Any) -> None:
    """Run ``work(*args)`` and put ``(index, "ok", value)`` or ``(index, "error", text)``."""
    try:
        results.put((index, "ok", work(*args)))
    except BaseException as exc:  # reported to the parent, which fails the test with it
        text = f"{type(exc).__module__}.{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        results.put((index, "error", text))


def save_sessions(spec: StoreSpec, start: Any, session_ids: list[str], payload_chars: int) -> int:
    """Save each session through Kedro's face (construct, fill, save), as separate runs would."""
    start.wait()
    for session_id in session_ids:
        store = spec.open(session_id)
        try:
            store.update(session_record(session_id, payload_chars))
            store.save()
        finally:
            store.close()
    return len(session_ids)


def contend_one_session(
    spec: StoreSpec, start: Any, session_id: str, writer: int, rounds: int, payload_chars: int
) -> int:
    """Save one shared session ``rounds`` times with this writer's whole record."""
    start.wait()
    store = spec.open()
    try:
        for round_number in range(rounds):
            store.write(session_id, writer_record(writer, round_number, payload_chars))
    finally:
        store.close()
    return rounds


def rewrite_versions(
    spec: StoreSpec, start: Any, done: Any, session_id: str, versions: range, payload_chars: int
) -> int:
    """Rewrite one session with each version in turn, then tell the reader to stop."""
    store = spec.open()
    try:
        start.wait()
        for version in versions:
            store.write(session_id, versioned_record(version, payload_chars))
    finally:
        done.set()
        store.close()
    return len(versions)


def read_versions(
    spec: StoreSpec, start: Any, done: Any, session_id: str, payload_chars: int
) -> tuple[int, list[str]]:
    """Load one session until the writer is done; return the read count and what was wrong."""
    store = spec.open()
    problems: list[str] = []
    reads = 0
    try:
        start.wait()
        while True:
            finished = done.is_set()
            reads += 1
            try:
                record = store.load(session_id)
            except Exception as exc:  # a torn record surfaces as CorruptRecord, or worse
                problems.append(f"read {reads}: {type(exc).__name__}: {exc}")
            else:
                if whole_version(record, payload_chars) is None:
                    problems.append(f"read {reads}: not one whole version: {str(record)[:120]}")
            if finished or len(problems) >= 5:
                return reads, problems
    finally:
        store.close()


def read_then_write(spec: StoreSpec, read_id: str, write_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """Return the record of ``read_id``, then save ``record`` as ``write_id`` (Kedro's face)."""
    reader = spec.open(read_id)
    try:
        found = dict(reader)
    finally:
        reader.close()
    writer = spec.open(write_id)
    try:
        writer.update(record)
        writer.save()
    finally:
        writer.close()
    return found


def crash_writer(
    conn: Connection, spec: StoreSpec, prefix: str, overwrite_id: str, first_version: int, payload_chars: int
) -> None:
    """Save new sessions and rewrite one session forever, acknowledging each finished save.

    The parent kills this process with SIGKILL; every id or version sent through ``conn`` was
    acknowledged by the store (``write`` returned) before it was sent.
    """
    conn.send(("opening", None))
    store = spec.open()
    number = 0
    while True:
        session_id = f"{prefix}{number:06d}"
        store.write(session_id, session_record(session_id, payload_chars))
        conn.send(("saved", session_id))
        version = first_version + number
        store.write(overwrite_id, versioned_record(version, payload_chars))
        conn.send(("rewritten", version))
        number += 1


def apply_changes(spec: StoreSpec, writes: dict[str, dict[str, Any]], deletes: list[str]) -> int:
    """Write ``writes`` (through Kedro's face) and delete ``deletes`` in a fresh process."""
    for session_id, record in writes.items():
        store = spec.open(session_id)
        try:
            store.clear()
            store.update(record)
            store.save()
        finally:
            store.close()
    store = spec.open()
    try:
        for session_id in deletes:
            store.delete(session_id)
    finally:
        store.close()
    return len(writes) + len(deletes)


def observe(spec: StoreSpec, session_ids: list[str], listing: bool) -> dict[str, Any]:
    """What a fresh process sees: each id's record (``None`` when not found) and the listing."""
    store = spec.open()
    try:
        seen: dict[str, Any] = {"records": {}}
        for session_id in session_ids:
            seen["records"][session_id] = store.load(session_id) if store.has_session(session_id) else None
        if listing:
            seen["listed"] = list(store.session_ids())
            seen["iterated"] = [session_id for session_id, _ in store.iter_records()]
        return seen
    finally:
        store.close()


def share_one_location(spec: StoreSpec, sync: Any, me: int, other: int, listing: bool) -> list[str]:
    """One of two writers on one location: write, read the other's, rewrite and delete, re-read.

    Returns what was wrong, as seen from this process.
    """
    mine = [f"shared-{me}-{number}" for number in range(SHARED_SESSIONS)]
    theirs = [f"shared-{other}-{number}" for number in range(SHARED_SESSIONS)]
    problems: list[str] = []
    store = spec.open()
    try:
        sync.wait()
        for session_id in mine:
            store.write(session_id, session_record(session_id))
        sync.wait()
        if listing and (listed := [sid for sid in store.session_ids() if sid.startswith("shared-")]) != sorted({*mine, *theirs}):
            problems.append(f"writer {me}: listed {listed} after both wrote, expected {sorted({*mine, *theirs})}")
        for session_id in theirs:
            if not store.has_session(session_id) or store.load(session_id) != session_record(session_id):
                problems.append(f"writer {me}: {session_id} written by the other process is missing or differs")
        reader = spec.open(theirs[0])
        if dict(reader) != session_record(theirs[0]):
            problems.append(f"writer {me}: a new mapping of {theirs[0]} does not hold the other's record")
        reader.close()
        sync.wait()  # both have read the other's sessions before either changes them
        store.write(theirs[0], {"overwritten by": me})
        store.delete(mine[1])
        sync.wait()
        if (found := store.load(mine[0]) if store.has_session(mine[0]) else None) != {"overwritten by": other}:
            problems.append(f"writer {me}: {mine[0]} holds {found}, expected the other's overwrite")
        if store.has_session(theirs[1]):
            problems.append(f"writer {me}: {theirs[1]}, deleted by the other process, is still found")
        if listing:
            expected = sorted({*mine, *theirs} - {mine[1], theirs[1]})
            if (listed := [sid for sid in store.session_ids() if sid.startswith("shared-")]) != expected:
                problems.append(f"writer {me}: listed {listed}, expected {expected}")
        sync.wait()
        return problems
    finally:
        store.close()


def new_session_changes(
    session_ids: list[str], resave: tuple[int, int], delete: tuple[int, int]
) -> list[Change]:
    """Each new session saved ``running`` then ``completed``; the ``n``-th saved a third time
    (``failed``) when ``n % resave[0] == resave[1]`` and deleted when ``n % delete[0] ==
    delete[1]``. Shared by the COMPACT scenario and the bench's team run."""
    changes: list[Change] = []
    for number, session_id in enumerate(session_ids):
        changes += [("write", session_id, 0, "running"), ("write", session_id, 1, "completed")]
        if number % resave[0] == resave[1]:
            changes.append(("write", session_id, 2, "failed"))
        if number % delete[0] == delete[1]:
            changes.append(("delete", session_id, 0, ""))
    return changes


def replay(store: Any, changes: list[Change], record: Callable[[str, int, str], dict[str, Any]]) -> None:
    """Apply ``changes`` in order: a write saves ``record(session_id, version, status)``."""
    for kind, session_id, version, status in changes:
        if kind == "delete":
            store.delete(session_id)
        else:
            store.write(session_id, record(session_id, version, status))


def apply_in_order(spec: StoreSpec, start: Any, done: Any, changes: list[Change]) -> int:
    """Apply ``changes`` in order through one instance, then tell the compactor this writer is done."""
    store = spec.open()
    try:
        start.wait()
        replay(store, changes, compaction_record)
    finally:
        done.set()
        store.close()
    return len(changes)


def compact_until_done(spec: StoreSpec, start: Any, writers_done: list[Any]) -> int:
    """Compact again and again until every writer is done, then once more; the round count."""
    store = spec.open()
    try:
        start.wait()
        rounds = 0
        while not all(event.is_set() for event in writers_done):
            store.compact()
            rounds += 1
        store.compact()
        return rounds + 1
    finally:
        store.close()
