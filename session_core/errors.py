"""The toolkit's exception hierarchy.

Every error the toolkit raises derives from :class:`SessionCoreError` and, where a builtin fits,
from that builtin too, so callers can catch either (an invalid id is a ``ValueError``, a missing
session a ``KeyError``, an unreachable store an ``OSError``). Errors carry their facts as
attributes (``location``, ``session_id``, ``key_path``, ...); tests and callers read those, never
the message text.
"""

from __future__ import annotations

from collections.abc import Iterable

from .redact import redact_text


class SessionCoreError(Exception):
    """Base class of every error raised by session-core."""


class InvalidSessionId(SessionCoreError, ValueError):
    """A session id failed validation before it touched any storage."""

    def __init__(self, session_id: object, reason: str) -> None:
        self.session_id = session_id
        self.reason = reason
        super().__init__(
            f"invalid session id {session_id!r}: {reason}. Ids are 1-128 characters: letters, "
            "digits, '-', '_' and '.', not starting with '.' or '-', without '..'"
        )


class InvalidValue(SessionCoreError, TypeError, ValueError):
    """A value outside the portable (JSON) data model was given to ``save()``/``write()``."""

    def __init__(self, key_path: str, value: object, reason: str) -> None:
        self.key_path = key_path
        self.value_type = type(value).__name__
        self.reason = reason
        super().__init__(
            f"value at {key_path!r} cannot be stored: {reason}. Portable values are None, bool, "
            "int, finite float, str, list/tuple and dict with str keys; convert it first "
            "(for example str() a path, isoformat() a datetime, list() a set)."
        )


class RecordTooLarge(InvalidValue):
    """A record's encoded size is over its store's ``MAX_RECORD_BYTES``; nothing was written.

    Attributes: ``session_id``, ``size`` (UTF-8 bytes) and ``limit``.
    """

    def __init__(self, session_id: str, size: int, limit: int) -> None:
        self.session_id = session_id
        self.size = size
        self.limit = limit
        self.key_path = "$"
        self.value_type = "dict"
        self.reason = f"encodes to {size} bytes, over the store's limit of {limit} bytes"
        SessionCoreError.__init__(
            self,
            f"record of session {session_id!r} {self.reason}; records are never truncated: keep "
            "large data (files, arrays, logs) out of the record and store a path to it instead",
        )


class SessionNotFound(SessionCoreError, KeyError):
    """The store holds no record for the requested session id."""

    def __init__(self, session_id: str, location: str) -> None:
        self.session_id = session_id
        self.location = location
        super().__init__(f"no session {session_id!r} in store {location}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class StoreError(SessionCoreError, OSError):
    """A backend failed; carries the store location, the operation and the underlying cause.

    The message never carries credentials: URL user info, header values and secret assignments
    are redacted from it, and so is every string of ``known`` (see
    :func:`session_core.redact.redact_text`).
    """

    def __init__(
        self, location: str, operation: str, cause: BaseException | str, known: Iterable[str] = ()
    ) -> None:
        self.location = location
        self.operation = operation
        self.cause = cause
        detail = f"{type(cause).__name__}: {cause}" if isinstance(cause, BaseException) else cause
        # a third party's text (botocore's, a driver's) may repeat credentials of the location
        # with ``known``, the store's own credentials, which such a text may quote bare
        super().__init__(redact_text(f"store {location}: {operation} failed: {detail}", known))

    def __str__(self) -> str:
        return str(self.args[0])


class StoreTimeout(StoreError, TimeoutError):
    """A store stayed locked or unreachable past its bounded retries."""


class StoreClosed(StoreError):
    """The store was used after ``close()``."""

    def __init__(self, location: str, operation: str) -> None:
        super().__init__(location, operation, "the store is closed; open a new instance")


class CorruptRecord(StoreError):
    """A persisted record could not be decoded (torn, truncated or foreign content)."""

    def __init__(self, location: str, session_id: str, cause: BaseException | str) -> None:
        self.session_id = session_id
        super().__init__(location, f"read of session {session_id!r}", cause)


class StoreNotFound(StoreError, FileNotFoundError):
    """A store that must already exist (a read-only command's, a migration's source) is not there.

    Raised before anything is opened, so nothing is created at the missing location.
    Attributes: ``location``, ``reading`` (how the setting was read, e.g. "sqlite:///tmp/x.db is
    relative to the project folder /p; for /tmp/x.db write sqlite:////tmp/x.db") and
    ``suggestions`` (existing stores the user may have meant).
    """

    def __init__(self, location: str, reading: str = "", suggestions: tuple[str, ...] = ()) -> None:
        self.reading = reading
        self.suggestions = suggestions
        detail = f"nothing stored at {location}" + (f" ({reading})" if reading else "")
        if suggestions:
            detail += f"; did you mean {' or '.join(suggestions)}?"
        super().__init__(location, "open", detail)
        self.args = (detail,)


class UnsafeRecord(CorruptRecord):
    """A stored value would run code if loaded (a pickled global outside the allow-list).

    Loading stopped before anything was called. Attributes: ``session_id``, ``key`` (the record
    key holding the value) and ``refused`` (the ``module.name`` the pickle asked for).
    """

    def __init__(self, location: str, session_id: str, key: str, refused: str) -> None:
        self.key = key
        self.refused = refused
        super().__init__(
            location,
            session_id,
            f"the value of key {key!r} asks for {refused}, which is not an allowed harmless "
            "type; nothing was run. Inspect the shelf by hand if you trust it",
        )


class RecordConflict(StoreError):
    """The destination already holds another record under the same id.

    Attributes: ``session_id``, ``source_hash`` and ``destination_hash`` (canonical content
    hashes, see :func:`session_core.values.content_hash`).
    """

    def __init__(
        self, location: str, session_id: str, source_hash: str, destination_hash: str
    ) -> None:
        self.session_id = session_id
        self.source_hash = source_hash
        self.destination_hash = destination_hash
        super().__init__(
            location,
            f"copy of session {session_id!r}",
            "a different record is already stored under this id; choose --on-conflict "
            "overwrite to replace it or skip to keep it",
        )


class VerifyMismatch(StoreError):
    """A record read back after a copy differs from the source (or could not be read back).

    Attributes: ``session_id``, ``expected`` (the source's content hash) and ``found`` (the
    destination's, or ``None`` when nothing could be read).
    """

    def __init__(self, location: str, session_id: str, expected: str, found: str | None) -> None:
        self.session_id = session_id
        self.expected = expected
        self.found = found
        super().__init__(
            location,
            f"verification of session {session_id!r}",
            "the record read back differs from the source" if found else "the record is missing",
        )


class FormatVersionError(StoreError):
    """The store was written in a format this version of session-core cannot use as is."""

    def __init__(self, location: str, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        hint = (
            "upgrade session-core to read it"
            if found > supported
            else "upgrade it with `python -m session_core migrate --upgrade STORE`"
        )
        super().__init__(
            location, "open", f"store format version {found}, this code uses {supported}: {hint}"
        )


class NotSupported(SessionCoreError, NotImplementedError):
    """The store declared that it cannot perform this operation (see its capabilities)."""

    def __init__(self, store: str, capability: str) -> None:
        self.store = store
        self.capability = capability
        super().__init__(f"{store} does not support {capability} (see its `capabilities`)")


class ConfigError(SessionCoreError, ValueError):
    """A store setting could not be understood; names the setting and what was wrong with it.

    Attributes: ``setting`` (where the value came from), ``value`` (credentials in a URL
    removed), ``reason``. The accepted forms are listed only when the form itself was wrong
    (``forms=True``), not for a wrong option or path.
    """

    ACCEPTED_FORMS = (
        "a short name (sqlite, duckdb, shelve, json, memory, postgres, none), "
        "a URL (sqlite:///runs.db relative to the project, sqlite:////abs/runs.db, "
        "duckdb:///runs.duckdb, shelve:///folder, json:///folder, file:///abs/folder, "
        "s3://bucket/prefix, memory://name, postgresql://user@host:5432/database), "
        "a path to a .db or .duckdb file, "
        "or a class path (package.module:Class) with arguments"
    )

    def __init__(self, setting: str, value: object, reason: str, *, forms: bool = False) -> None:
        from .location import redact

        self.setting = setting
        self.value = redact(value) if isinstance(value, str) else value
        self.reason = reason
        accepted = f" Accepted: {self.ACCEPTED_FORMS}." if forms else ""
        super().__init__(f"bad store setting {setting}={self.value!r}: {reason}.{accepted}")


class InvalidFilter(SessionCoreError, ValueError):
    """A history filter, sort field or time could not be understood.

    Attributes: ``field`` (the option, such as ``since`` or ``param``), ``value`` and ``reason``
    (what is accepted).
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"bad {field} {value!r}: {reason}")


class QueryError(SessionCoreError, ValueError):
    """A ``query`` statement was refused or failed: not read-only, a syntax error, an unknown
    column. Attributes: ``sql`` (the statement) and ``reason`` (DuckDB's explanation, which
    names the column or the place of the syntax error)."""

    def __init__(self, sql: str, reason: str) -> None:
        self.sql = sql
        self.reason = reason
        super().__init__(f"query not run: {reason}")


class SessionError(SessionCoreError, RuntimeError):
    """A session was used against its lifecycle (a second run, a run after close)."""


class RunInterrupted(SessionCoreError, KeyboardInterrupt):
    """Raised inside ``Session.run`` when the run was stopped by SIGINT or SIGTERM."""

    def __init__(self, signal_name: str, exit_code: int | None = None) -> None:
        self.signal_name = signal_name
        self.exit_code = exit_code
        super().__init__(f"run interrupted by {signal_name}")


class CommandFailed(SessionCoreError):
    """A wrapped command exited with a non-zero code.

    Attributes: ``command``, ``exit_code`` and ``stderr_tail`` (the last lines it wrote to
    stderr, redacted, or ``None`` when none were kept).
    """

    def __init__(self, command: list[str], exit_code: int, reason: str | None = None,
                 stderr_tail: str | None = None) -> None:
        self.command = command
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        super().__init__(reason or f"command exited with code {exit_code}")


class CommandNotStarted(CommandFailed):
    """A wrapped command could not be started: not found (exit code 127, as a shell says) or
    not executable (126). Attributes: ``command``, ``exit_code`` and ``cause`` (the OSError)."""

    def __init__(self, command: list[str], cause: OSError) -> None:
        self.cause = cause
        found = not isinstance(cause, FileNotFoundError)
        reason = cause.strerror or str(cause)
        hint = "check that it is executable" if found else "check the name or your PATH"
        super().__init__(command, 126 if found else 127, f"cannot run {command[0]!r}: {reason}; {hint}")


class AmbiguousSessionId(SessionCoreError, KeyError):
    """A session id prefix matches more than one session.

    Attributes: ``prefix``, ``candidates`` (the matching ids, oldest first) and ``location``.
    """

    SHOWN = 10

    def __init__(self, prefix: str, candidates: list[str], location: str) -> None:
        self.prefix = prefix
        self.candidates = candidates
        self.location = location
        listed = ", ".join(candidates[: self.SHOWN])
        more = f" and {len(candidates) - self.SHOWN} more" if len(candidates) > self.SHOWN else ""
        super().__init__(
            f"{prefix!r} is the start of {len(candidates)} sessions in store {location}: "
            f"{listed}{more}; give more of the id"
        )

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])
