"""Copy every session of one store into another: streamed, batched, idempotent, resumable.

How a run goes:

* The source is streamed in ascending id order (:meth:`SessionStore.iter_records`); nothing is
  held but the current batch. A record that cannot be read (corrupt, unsafe, unreadable) is
  counted as failed and the stream carries on after it (see :func:`.reading.source_records`).
* Each id is looked up in a :class:`~.dest_index.DestinationIndex`: the destination's ids and
  canonical content hashes, read once as a stream and merged with the source's (no read per
  record). Equal content is "already present"; other content is a conflict, handled by
  ``on_conflict`` (``skip``, the default, never overwrites; ``overwrite`` replaces; ``fail``
  stops the run).
* New records go to the destination in batches through :meth:`SessionStore.write_many`, each
  batch atomic in the transactional backends and each record atomic in all of them. A run that
  is killed loses at most the batch in flight; started again, it finds what was written as
  "already present" and copies the rest, so nothing is duplicated or torn.
* ``verify`` reads every written record back (one streamed pass at the end, see
  :mod:`.verify`) and compares content hashes; ``dry_run`` writes nothing and counts what
  would be copied.

Every per-record fault (an unreadable record, an id our rules refuse, a value beyond the
record limits, a record too large for the destination) is counted and reported for that record
and never stops the others, unless ``strict`` asks for the first one to stop the run. An id our
rules refuse is carried over only when asked (``legacy_ids="map"``, see :mod:`.legacy_ids`).

The source is only ever read. The destination failing to write stops the run (every further
write would fail the same way); its error is kept in :attr:`MigrationReport.stopped`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from session_core.errors import InvalidSessionId, InvalidValue, RecordConflict, SessionCoreError, StoreError
from session_core.kinds import LegacyIds, OnConflict, OutcomeKind, choices
from session_core.store import SessionStore
from session_core.values import content_hash

from .dest_index import DestinationIndex
from .legacy_ids import carry
from .reading import source_records
from .verify import VerifyLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MigrationOptions:
    """How to copy.

    Attributes:
        on_conflict: what to do when the destination holds other content under an id.
        verify: read every written record back and compare content hashes.
        dry_run: write nothing; count what would be copied.
        batch_size: records per :meth:`SessionStore.write_many` batch (default: the
            destination's ``BATCH_SIZE``).
        strict: the first failed record stops the run (default: count it and go on).
        legacy_ids: ``refuse`` (the default) fails a record whose id our rules refuse; ``map``
            carries it over under :func:`~session_core.ids.legacy_id_to_safe` of its id,
            keeping the original as ``legacy_id``.
    """

    on_conflict: OnConflict = OnConflict.SKIP
    verify: bool = False
    dry_run: bool = False
    batch_size: int | None = None
    strict: bool = False
    legacy_ids: LegacyIds = LegacyIds.REFUSE

    def __post_init__(self) -> None:
        try:  # a plain string is taken too ("skip"), and kept as the enum member
            object.__setattr__(self, "on_conflict", OnConflict(self.on_conflict))
            object.__setattr__(self, "legacy_ids", LegacyIds(self.legacy_ids))
        except ValueError:
            raise ValueError(
                f"on_conflict must be one of {choices(OnConflict)} and legacy_ids one of "
                f"{choices(LegacyIds)}, not {self.on_conflict!r} and {self.legacy_ids!r}"
            ) from None
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {self.batch_size}")


@dataclass(frozen=True)
class Outcome:
    """What happened to one source record: exactly one outcome per record, plus a
    ``verify failed`` outcome, after the copy, for a written record that did not read back.

    ``session_id`` is ``None`` for a store-level failure that stopped the run; ``error`` says
    why for ``failed`` and ``conflict`` (skipped) and ``overwritten`` (what was replaced).
    """

    kind: OutcomeKind
    session_id: str | None
    error: SessionCoreError | None = None


@dataclass
class MigrationReport:
    """The counts of a run; ``ok`` when nothing failed and the run was not stopped.

    ``conflicts`` counts every conflict, ``overwritten`` those replaced by ``on_conflict=
    "overwrite"``; ``copied`` counts records written; with ``verify``, ``verified`` counts those
    read back intact and each one that was not is also counted in ``failed``.
    """

    dry_run: bool = False
    copied: int = 0
    already_present: int = 0
    conflicts: int = 0
    overwritten: int = 0
    failed: int = 0
    verified: int = 0
    stopped: SessionCoreError | None = None
    #: The id of the failed record that stopped a ``strict`` run (``None`` otherwise).
    stopped_at: str | None = None
    failures: list[Outcome] = field(default_factory=list)

    #: How many failures and conflicts are kept in :attr:`failures` (all are reported as they
    #: happen through the ``on_outcome`` callback; keeping them all would grow with the store).
    KEEP: ClassVar[int] = 100

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.stopped is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "copied": self.copied,
            "already_present": self.already_present,
            "conflicts": self.conflicts,
            "overwritten": self.overwritten,
            "failed": self.failed,
            "verified": self.verified,
            "stopped": None if self.stopped is None else str(self.stopped),
            "stopped_at": self.stopped_at,
            "ok": self.ok,
        }


class _Stop(Exception):
    """Ends a run early; carries the error the report keeps."""

    def __init__(self, error: SessionCoreError) -> None:
        self.error = error


class Migration:
    """One run of copying ``src`` into ``dst`` (``dst`` is ``None`` for a dry run into a
    location that does not exist yet)."""

    def __init__(
        self,
        src: SessionStore,
        dst: SessionStore | None,
        options: MigrationOptions = MigrationOptions(),
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        if dst is None and not options.dry_run:
            raise ValueError("a destination store is needed unless this is a dry run")
        self.src = src
        self.dst = dst
        self.options = options
        self.report = MigrationReport(dry_run=options.dry_run)
        self._on_outcome = on_outcome
        self._batch: list[tuple[str, dict[str, Any]]] = []
        self._replacing: dict[str, RecordConflict] = {}
        self._written: VerifyLog | None = None

    def run(self) -> MigrationReport:
        """Copy everything; return the report (failures are counted, not raised)."""
        verify = self.options.verify and not self.options.dry_run
        try:
            with DestinationIndex(self.dst) as index, contextlib.ExitStack() as stack:
                self._written = stack.enter_context(VerifyLog()) if verify else None
                for session_id, record in source_records(self.src, self._fail):
                    self._handle(index, session_id, record)
                self._flush()
                if self._written is not None:
                    self._verify(self._written)
        except _Stop as stop:
            self.report.stopped = stop.error
        except StoreError as exc:  # the source could not list, or the destination not open
            self.report.stopped = exc
            self._emit(Outcome(OutcomeKind.FAILED, None, exc))
        return self.report

    # ------------------------------------------------------------------ per record

    def _handle(self, index: DestinationIndex, session_id: str, record: dict[str, Any]) -> None:
        try:
            carried_id, record = carry(session_id, record, self.options.legacy_ids)
        except InvalidSessionId as exc:
            self._fail(session_id, exc)
            return
        if carried_id != session_id:
            logger.info("legacy id %r carried over as %s", session_id, carried_id)
            session_id = carried_id
        existing = index.existing_hash(session_id)
        if existing is None:
            self._queue(session_id, record)
            return
        source_hash = content_hash(record)
        if existing == source_hash:
            self.report.already_present += 1
            self._emit(Outcome(OutcomeKind.PRESENT, session_id))
            return
        self._conflict(session_id, record, source_hash, existing)

    def _conflict(self, session_id: str, record: dict[str, Any], source_hash: str, existing: str) -> None:
        assert self.dst is not None
        conflict = RecordConflict(self.dst.location, session_id, source_hash, existing)
        self.report.conflicts += 1
        if self.options.on_conflict is OnConflict.OVERWRITE:
            self._replacing[session_id] = conflict
            self._queue(session_id, record)
            return
        self._keep(Outcome(OutcomeKind.CONFLICT, session_id, conflict))
        if self.options.on_conflict is OnConflict.FAIL:
            raise _Stop(conflict)

    def _fail(self, session_id: str | None, error: SessionCoreError) -> None:
        self.report.failed += 1
        self._keep(Outcome(OutcomeKind.FAILED, session_id, error))
        if self.options.strict:
            self.report.stopped_at = session_id
            self._flush()  # what came before the failed record is copied
            raise _Stop(error)

    def _keep(self, outcome: Outcome) -> None:
        if len(self.report.failures) < MigrationReport.KEEP:
            self.report.failures.append(outcome)
        self._emit(outcome)

    def _emit(self, outcome: Outcome) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    # ------------------------------------------------------------------ batches

    def _queue(self, session_id: str, record: dict[str, Any]) -> None:
        self._batch.append((session_id, record))
        limit = self.options.batch_size or getattr(self.dst, "BATCH_SIZE", SessionStore.BATCH_SIZE)
        if len(self._batch) >= limit:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        if not self.options.dry_run:
            assert self.dst is not None
            try:
                self.dst.write_many(batch, batch_size=len(batch))
            except InvalidValue:  # a record the destination refuses: find it, write the others
                batch = self._write_one_by_one(batch)
            except SessionCoreError as exc:  # the destination is failing: reported once
                self.report.failed += len(batch)
                self._emit(Outcome(OutcomeKind.FAILED, None, exc))
                raise _Stop(exc) from exc
        for session_id, record in batch:
            if self._written is not None:
                self._written.add(session_id, content_hash(record))
            replaced = self._replacing.pop(session_id, None)
            if replaced is None:
                self.report.copied += 1
                self._emit(Outcome(OutcomeKind.COPIED, session_id))
            else:
                self.report.overwritten += 1
                self._emit(Outcome(OutcomeKind.OVERWRITTEN, session_id, replaced))

    def _write_one_by_one(self, batch: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        """Write a refused batch record by record; fail the refused ones, return the written."""
        assert self.dst is not None
        written = []
        for session_id, record in batch:
            try:
                self.dst.write_many([(session_id, record)], batch_size=1)
            except InvalidValue as exc:
                self._replacing.pop(session_id, None)
                self._fail(session_id, exc)
                continue
            except SessionCoreError as exc:
                self.report.failed += 1
                self._emit(Outcome(OutcomeKind.FAILED, None, exc))
                raise _Stop(exc) from exc
            written.append((session_id, record))
        return written

    def _verify(self, written: VerifyLog) -> None:
        assert self.dst is not None
        logger.info("%s: verifying %d written records", self.dst.location, written.count)
        bad = 0
        for mismatch in written.mismatches(self.dst):
            bad += 1
            self.report.failed += 1
            self._keep(Outcome(OutcomeKind.VERIFY_FAILED, mismatch.session_id, mismatch))
        self.report.verified = written.count - bad


def migrate(
    src: SessionStore,
    dst: SessionStore | None,
    options: MigrationOptions = MigrationOptions(),
    on_outcome: Callable[[Outcome], None] | None = None,
) -> MigrationReport:
    """Copy every session of ``src`` into ``dst``; see the module docstring for the rules.

    ``on_outcome`` is called once per source record (and once for a store-level failure), as it
    happens, which is how the command line shows progress.
    """
    return Migration(src, dst, options, on_outcome).run()
