"""``Session``: the lifecycle of one run, and its record in a store.

A session is created, runs once, and closes (Kedro's rule: one session, one run; a run that
failed may be retried). Its record is written early, with status ``running``, and finished at
close, so a run that was killed stays visible as one that never finished. A failing store never
fails the run: the record goes to the local spool and an error is logged, unless
``strict=True`` (one rule, in :mod:`session_core.persist`).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .config import resolve_store
from .errors import (
    CommandFailed,
    ConfigError,
    RunInterrupted,
    SessionError,
)
from .gitinfo import collect_git
from .heartbeat import Heartbeat, resolve_interval
from .ids import new_session_id, validate_session_id
from .kinds import Status
from .location import find_project_root
from .record import (
    describe_cli,
    describe_exception,
    new_record,
    utc_now,
)
from .persist import RecordWriter
from .redact import redact_mapping
from .registry import StoreSpec
from .store import SessionStore
from .values import to_portable

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: keys the session owns; ``update()`` refuses them so a user cannot forge an outcome
RESERVED_KEYS = frozenset(
    {"record_version", "session_id", "status", "started_at", "ended_at", "duration_s", "exception",
     "exit_code", "stderr_tail"}
)


class Session:
    """One run and its record. Build it with :meth:`create`; use it as a context manager."""

    def __init__(
        self,
        record: dict[str, Any],
        store: SessionStore | StoreSpec,
        *,
        save_on_close: bool,
        strict: bool,
        spool_dir: Path | None,
    ) -> None:
        self._record = record
        self._writer = RecordWriter(store, strict=strict, spool_dir=spool_dir)
        self._save_on_close = save_on_close
        self._started = time.perf_counter()
        self._run_done = False
        self._closed = False
        self._heartbeat: Heartbeat | None = None

    @classmethod
    def create(
        cls,
        project_path: Path | str | None = None,
        package_name: str | None = None,
        save_on_close: bool = True,
        env: Any = None,
        runtime_params: dict[str, Any] | None = None,
        *,
        store: SessionStore | StoreSpec | str | None = None,
        store_args: dict[str, Any] | None = None,
        session_id: str | None = None,
        strict: bool = False,
        git: bool | str = True,
        cli: Any = None,
        spool_dir: Path | str | None = None,
        heartbeat: float | None = None,
    ) -> Session:
        """Start a session and write its ``running`` record.

        Args:
            project_path: the project folder (default: the nearest folder with a pyproject.toml).
            package_name, env, runtime_params: recorded as Kedro records them.
            save_on_close: ``False`` persists nothing at all (Kedro's flag).
            store: a store instance, a :class:`StoreSpec`, a short name, URL or class path;
                ``None`` applies the configuration order of :mod:`session_core.config`.
            store_args: options for a store given by name.
            session_id: a caller-chosen id (validated); default a fresh sortable id.
            strict: raise store failures instead of spooling the record.
            git: ``True`` for sha/branch/dirty (one git call), ``"rich"`` to add GitPython's
                details, ``False`` for none.
            cli: a dict, an argv list or a click context; default: the running process.
            spool_dir: where records wait when the store fails (see :mod:`session_core.spool`).
            heartbeat: seconds between refreshes of ``heartbeat_at`` while the session is open
                (``0``: none); ``None`` reads ``SESSION_CORE_HEARTBEAT``, then ``heartbeat``
                under ``[tool.session_core]``, then 30 (:mod:`session_core.heartbeat`).

        Raises:
            ConfigError: the store or heartbeat setting is invalid (nothing ran yet).
            InvalidSessionId: ``session_id`` is unsafe.
            StoreError: only with ``strict=True``.
        """
        root = Path(project_path).absolute() if project_path else find_project_root()
        session_id = validate_session_id(session_id) if session_id is not None else new_session_id()
        if not isinstance(store, SessionStore):
            store = resolve_store(store, store_args, root)
        if git not in (True, False, "rich"):
            raise ConfigError("git", git, "expected True, False or 'rich'")
        record = new_record(
            session_id=session_id,
            project_path=str(root),
            package_name=package_name,
            cli=describe_cli(cli),
            git=collect_git(root, rich=git == "rich") if git else None,
            env=to_portable(env, "$.env"),
            runtime_params=to_portable(runtime_params or {}, "$.runtime_params"),
        )
        interval = resolve_interval(heartbeat, root) if save_on_close else 0.0
        if interval:
            record.update(heartbeat_s=interval, heartbeat_at=record["started_at"])
        session = cls(
            record, store, save_on_close=save_on_close, strict=strict,
            spool_dir=None if spool_dir is None else Path(spool_dir),
        )
        session._persist()
        if interval:
            session._heartbeat = Heartbeat(interval, session._beat, session_id)
            session._heartbeat.start()
        return session

    # ------------------------------------------------------------------ reading

    @property
    def session_id(self) -> str:
        return self._record["session_id"]

    @property
    def record(self) -> dict[str, Any]:
        """A copy of the session's record (changing it changes nothing)."""
        return copy.deepcopy(self._record)

    @property
    def store(self) -> dict[str, Any]:
        """Kedro's name for :attr:`record` (``KedroSession.store``): a copy of the record."""
        return self.record

    @property
    def status(self) -> str:
        return self._record["status"]

    # ------------------------------------------------------------------ lifecycle

    def update(self, **values: Any) -> None:
        """Add or replace user keys in the record (persisted at the next save).

        Values are redacted as they come in (see :mod:`session_core.redact`): a secret-looking
        key keeps its name but not its value, and credentials inside strings are removed.

        Raises:
            SessionError: a key belongs to the session, or the session is closed.
            InvalidValue: a value is outside the portable model or beyond the record limits
                (nesting, int size; see :mod:`session_core.values`), checked now, not at close.
        """
        reserved = RESERVED_KEYS.intersection(values)
        if reserved:
            raise SessionError(f"keys {sorted(reserved)} belong to the session and cannot be set")
        self._require_open("update")
        self._record.update(redact_mapping(to_portable(values)))

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` once as this session's run and record its outcome.

        Raises:
            SessionError: a run already completed in this session, or the session is closed.
            BaseException: whatever ``fn`` raised, after it was recorded.
        """
        self._require_open("run")
        if self._run_done:
            raise SessionError(
                f"a run already completed in session {self.session_id}; create a new session "
                "for another run"
            )
        self._record.update(status=Status.RUNNING, exception=None)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self.record_outcome(exc)
            raise
        self._run_done = True
        return result

    def record_outcome(self, exc: BaseException) -> None:
        """Record how a run ended from the exception that ended it.

        ``KeyboardInterrupt`` (and :class:`~session_core.errors.RunInterrupted`) means
        ``interrupted``; ``SystemExit`` with code 0 or ``None`` means ``completed``; anything else
        is ``failed``. An ``exit_code`` attribute (``SystemExit.code``, ``CommandFailed``) is kept,
        and so is a ``stderr_tail`` (a failed wrapped command's last stderr lines).
        """
        exit_code = getattr(exc, "exit_code", None)
        if isinstance(exc, SystemExit):
            exit_code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exit_code == 0:
                self._record.update(status=Status.COMPLETED, exit_code=0)
                self._run_done = True
                return
        status = Status.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else Status.FAILED
        crash = not isinstance(exc, (CommandFailed, RunInterrupted))
        self._record.update(status=status, exception=describe_exception(exc, with_traceback=crash))
        if exit_code is not None:
            self._record["exit_code"] = exit_code
        stderr_tail = getattr(exc, "stderr_tail", None)
        if stderr_tail is not None:
            self._record["stderr_tail"] = stderr_tail

    def close(self) -> None:
        """Finish the record (``ended_at``, ``duration_s``, final status) and persist it.

        Never raises because of the record's content or a store outage (unless ``strict``):
        a record the store refuses, or cannot take, is kept in the spool and logged.
        """
        if self._closed:
            return
        if self._heartbeat is not None:
            self._heartbeat.stop()  # no beat may land after the final record
        if self._record["status"] == Status.RUNNING:
            self._record["status"] = Status.COMPLETED
        self._record.update(ended_at=utc_now(), duration_s=round(time.perf_counter() - self._started, 6))
        try:
            self._persist()
        finally:
            self._closed = True
            self._writer.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None and self._record.get("exception") is None and self._record["status"] == Status.RUNNING:
            self.record_outcome(exc)
        self.close()

    def _require_open(self, action: str) -> None:
        if self._closed:
            raise SessionError(f"session {self.session_id} is closed; cannot {action}")

    # ------------------------------------------------------------------ persistence

    def _persist(self) -> None:
        """Save the record through :class:`RecordWriter` (store, else spool unless strict)."""
        if self._save_on_close:
            self._writer.save(self._record)

    def _beat(self) -> None:
        """Write the record with a fresh ``heartbeat_at`` (from the heartbeat thread; the main
        thread writes only before the heartbeat starts and after it stopped)."""
        self._record["heartbeat_at"] = utc_now()
        self._writer.refresh(dict(self._record))
