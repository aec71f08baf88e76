"""The numbered promises of the store interface, and the scenarios that check each one.

``docs/conformance.md`` explains every promise; its promise table (promise -> scenarios ->
broken stores) is checked against this list by the project's tests, so the two cannot drift.
The report names the promises a failed scenario checks, so a failure reads as "breaks promise 10
(reads are fresh)", not only as a test name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Promise:
    """One observable promise of every store.

    Attributes:
        number: its number in ``docs/conformance.md``.
        title: what a user relies on, in a few words.
        scenarios: the ids of the scenarios that fail when a store breaks it.
    """

    number: int
    title: str
    scenarios: tuple[str, ...]


PROMISES: tuple[Promise, ...] = (
    Promise(1, "unsafe ids are refused before storage is touched", ("SC-SEC-001",)),
    Promise(2, "every valid id is its own session and comes back exactly as written", ("SC-ID-001", "SC-SEC-002")),
    Promise(3, "sessions are isolated: an id never finds another id's record", ("SC-ISO-001", "SC-BAD-001")),
    Promise(4, "every portable value comes back equal, with its type", ("SC-RT-001", "SC-RT-002", "SC-STATE-001", "SC-STATE-002")),
    Promise(5, "a record of any size comes back whole or is refused at save", ("SC-RT-003", "SC-RT-006")),
    Promise(6, "a record comes back as given: key order, JSON-looking strings, its own keys", ("SC-RT-007",)),
    Promise(7, "unportable values are refused with their key path; nothing is written", ("SC-RT-005", "SC-BAD-005")),
    Promise(8, "Kedro's face: a new mapping holds the record; save() replaces it whole", ("SC-PERSIST-001", "SC-PERSIST-003", "SC-STATE-001")),
    Promise(9, "durable: a saved record outlives the process, also a killed one", ("SC-PERSIST-002", "SC-CRASH-001", "SC-STATE-002")),
    Promise(10, "reads are fresh: another instance's writes and deletes are seen", ("SC-FRESH-001", "SC-STATE-002")),
    Promise(11, "reads are fresh across processes", ("SC-FRESH-002", "SC-SHARED-001")),
    Promise(12, "listing is ascending and complete, without duplicates, across pages and changes", ("SC-LIST-002", "SC-LIST-003", "SC-LIST-005", "SC-ID-001")),
    Promise(13, "listing shows empty records and forgets deleted ones", ("SC-LIST-001", "SC-LIST-006", "SC-ISO-002")),
    Promise(14, "listing streams ids without loading records", ("SC-LIST-004",)),
    Promise(15, "write_many writes every record of every batch and replaces as write does", ("SC-RT-004", "SC-BATCH-001", "SC-STATE-002")),
    Promise(16, "delete removes exactly one session", ("SC-ISO-002", "SC-BAD-002", "SC-STATE-002")),
    Promise(17, "an unknown session is SessionNotFound, never an empty or default record", ("SC-BAD-001", "SC-ISO-001", "SC-FRESH-001")),
    Promise(18, "a failing read is the toolkit's error naming the location, never 'not found'", ("SC-BAD-006",)),
    Promise(19, "a closed store refuses every operation", ("SC-BAD-003",)),
    Promise(20, "a store in another format version is refused at open", ("SC-VER-001", "SC-VER-002", "SC-VER-003")),
    Promise(21, "capabilities hold both ways, as the instance declares them", ("SC-BAD-004", "SC-PERSIST-002")),
    Promise(22, "shared: processes with nothing in common share one location", ("SC-SHARED-001",)),
    Promise(23, "multiprocess: parallel writers lose nothing and readers see whole records", ("SC-CONC-001", "SC-CONC-002", "SC-CONC-003")),
    Promise(24, "crash safe: a killed writer leaves the old or the new record, never a torn one", ("SC-CRASH-001", "SC-CONC-003")),
    Promise(25, "compaction racing saves, re-saves and deletes loses, repeats and resurrects nothing", ("SC-COMPACT-001",)),
)


def promises_of(scenario: str) -> list[Promise]:
    """The promises that ``scenario`` (``"SC-RT-001"``) checks."""
    return [promise for promise in PROMISES if scenario in promise.scenarios]
