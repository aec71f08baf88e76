"""Kedro hooks that give a ``kedro run`` the same full record as any other run.

Kedro saves its session store once, at close, and records no status and no timing. These hooks
write the ``running`` record when the pipeline starts (``before_pipeline_run``), refresh its
``heartbeat_at`` while the pipeline runs (so a killed ``kedro run`` reads as ``lost``), and complete it
when it ends: ``completed`` with ``ended_at`` and ``duration_s`` (``after_pipeline_run``), or
``failed`` with the exception (``on_pipeline_error``). A run killed in between stays visible as
one that never finished.

SIGTERM during a run is turned into :class:`~session_core.errors.RunInterrupted` (a
``KeyboardInterrupt``), as the ``run`` wrapper records it: Kedro then closes its session as for
Ctrl-C and the record says ``interrupted``. Python's default for SIGTERM ends the process with
no cleanup at all, which would leave the record ``running`` forever. A handler the project
installed itself is left alone.

They are registered for every Kedro project through the ``kedro.hooks`` entry point
``session_core`` (installed with session-core). A project that disabled the plugin
(``DISABLE_HOOKS_FOR_PLUGINS = ("session-core",)``) can name them in ``settings.py`` instead:
``HOOKS = (SessionCoreHooks(),)``. They act only on sessions whose store is one of our
Kedro-facing stores (:mod:`session_core.kedro.store`); any other store is left to Kedro. Registered twice,
they still write each transition once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from kedro.framework.hooks import hook_impl

from ..errors import RunInterrupted
from ..heartbeat import Heartbeat, resolve_interval
from ..kinds import Status
from .record import end_run, start_run
from .store import KedroStore, live_store

logger = logging.getLogger(__name__)

#: run id -> monotonic start time, shared by every instance so a double registration agrees
_CLOCKS: dict[str, float] = {}
#: run id -> the heartbeat of its running record (see :mod:`session_core.heartbeat`)
_HEARTBEATS: dict[str, Heartbeat] = {}


class SessionCoreHooks:
    """Status and timings for Kedro sessions stored in a :class:`session_core.kedro.store.KedroStore`."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        """Write the ``running`` record (a retried run in the same session starts afresh)."""
        store = _store_of(run_params)
        if store is None or store.get("status") == Status.RUNNING:
            return
        run_id = run_params["run_id"]
        _CLOCKS[run_id] = time.perf_counter()
        start_run(store)
        project = store.get("project_path")
        interval = resolve_interval(None, Path(project) if project else Path.cwd())
        if interval:
            store.update(heartbeat_s=interval, heartbeat_at=store["started_at"])
        store.save()
        if interval:
            _HEARTBEATS[run_id] = heartbeat = Heartbeat(interval, store.beat, str(run_id))
            heartbeat.start()
        _catch_sigterm()

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        """Complete the record: ``completed``, ``ended_at``, ``duration_s``."""
        self._end(run_params, None)

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any]) -> None:
        """Complete the record as ``failed`` with the exception."""
        self._end(run_params, error)

    @staticmethod
    def _end(run_params: dict[str, Any], error: BaseException | None) -> None:
        store = _store_of(run_params)
        if store is None or store.get("status") != Status.RUNNING:
            return
        heartbeat = _HEARTBEATS.pop(run_params["run_id"], None)
        if heartbeat is not None:
            heartbeat.stop()  # no beat may land after the final record
        started = _CLOCKS.pop(run_params["run_id"], None)
        _release_sigterm()
        end_run(store, None if started is None else time.perf_counter() - started, error)
        store.save()


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise RunInterrupted(signal.Signals(signum).name, 128 + signum)


def _catch_sigterm() -> None:
    """Turn SIGTERM into :class:`RunInterrupted` while the pipeline runs (main thread only)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _release_sigterm() -> None:
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is _interrupt:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _store_of(run_params: dict[str, Any]) -> KedroStore | None:
    store = live_store(str(run_params.get("run_id")))
    if store is None:
        logger.debug(
            "Kedro run %s: its session store is not a session-core store; nothing to add",
            run_params.get("run_id"),
        )
    return store


#: the instance the ``kedro.hooks`` entry point registers
hooks = SessionCoreHooks()
