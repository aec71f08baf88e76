"""The named values shared by records, migrations and the command line, as ``StrEnum``s.

A member is its string (``Status.FAILED == "failed"``, ``json.dumps`` writes ``"failed"``), so
records store plain strings and older records compare equal. The command line takes its
choices from these enums; this module imports nothing heavier than :mod:`enum`, so every
command's parser can use them at start-up.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A record's ``status``."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    #: a running record whose heartbeat stopped: what readers show (the record is not changed)
    #: until ``reap`` stores it (:func:`session_core.history.effective_status`)
    LOST = "lost"


class OnConflict(StrEnum):
    """What ``migrate`` does when the destination holds other content under a source id."""

    SKIP = "skip"  #: keep the destination's record and report it (the default)
    OVERWRITE = "overwrite"  #: replace it
    FAIL = "fail"  #: stop the run


class OutcomeKind(StrEnum):
    """What happened to one source record of a migration (exactly one of the first five)."""

    COPIED = "copied"
    OVERWRITTEN = "overwritten"
    PRESENT = "already present"
    CONFLICT = "conflict"
    FAILED = "failed"
    #: reported after the copy, with ``verify``, for a written record that did not read back intact
    VERIFY_FAILED = "verify failed"


class LegacyIds(StrEnum):
    """What ``migrate`` (and ``--upgrade``) does with a source id our rules refuse (``a/b``)."""

    REFUSE = "refuse"  #: fail that record (the default)
    MAP = "map"  #: carry it over under a safe id derived from it, keeping ``legacy_id``


class Leniency(StrEnum):
    """How :func:`session_core.values.to_portable` treats a value outside the portable model."""

    STRICT = "strict"  #: refuse it (``save()``, ``Session.update()``)
    CONVERT = "convert"  #: map well-known harmless types, refuse the rest (legacy shelves)
    LENIENT = "lenient"  #: as ``convert``, anything else its ``str()``; never raises (Kedro's data)


def choices(kind: type[StrEnum]) -> list[str]:
    """The values of ``kind``, in definition order, for an argparse ``choices=``."""
    return [member.value for member in kind]
