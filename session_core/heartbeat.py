"""Heartbeats: a running session refreshes ``heartbeat_at`` in its record at an interval.

A run killed with SIGKILL (or a machine that lost power) cannot write its outcome; its record
stays ``running``. With heartbeats, readers tell such a run from a live one: a running record
whose ``heartbeat_at`` is older than three intervals (``heartbeat_s`` in the record) reads as
``lost`` (:func:`session_core.history.effective_status`).

:class:`Heartbeat` is a daemon thread that sleeps an interval before each beat, so a short run
pays only the thread's start and stop. A beat that fails is logged and the next one tries
again: a heartbeat never fails the run. :func:`resolve_interval` applies the configuration
order: explicit value, ``SESSION_CORE_HEARTBEAT``, ``heartbeat`` under ``[tool.session_core]``,
then :data:`~session_core.record.DEFAULT_HEARTBEAT_S`; ``0`` turns heartbeats off.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .background import start_thread
from .errors import ConfigError
from .record import DEFAULT_HEARTBEAT_S

logger = logging.getLogger(__name__)

ENV_HEARTBEAT = "SESSION_CORE_HEARTBEAT"


def parse_interval(value: Any, setting: str) -> float:
    """Seconds between heartbeats from a setting (``0`` is off).

    Raises:
        ConfigError: naming ``setting``, for anything but a finite number >= 0.
    """
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(setting, value, "give the seconds between heartbeats as a number >= 0 (0 turns them off)")
    return seconds


def resolve_interval(explicit: float | None, project_path: Path) -> float:
    """The heartbeat interval for a session of the project at ``project_path``."""
    if explicit is not None:
        return parse_interval(explicit, "heartbeat")
    if (env := os.environ.get(ENV_HEARTBEAT)) is not None and env.strip():
        return parse_interval(env, ENV_HEARTBEAT)
    from .config import tool_setting

    configured = tool_setting(project_path, "heartbeat")
    if configured is not None:
        return parse_interval(configured, f"heartbeat under [tool.session_core] in {project_path / 'pyproject.toml'}")
    return DEFAULT_HEARTBEAT_S


class Heartbeat:
    """Calls ``beat`` every ``interval`` seconds from a daemon thread until :meth:`stop`.

    Args:
        interval: seconds between beats (> 0).
        beat: writes the heartbeat; any exception it raises is logged, never propagated.
        name: names the thread and the log lines (the session id).
    """

    def __init__(self, interval: float, beat: Callable[[], None], name: str) -> None:
        self._interval = interval
        self._beat = beat
        self._name = name
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = start_thread(self._loop, f"heartbeat {self._name}")

    def stop(self) -> None:
        """Stop beating; returns after a beat in progress has finished. Idempotent."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._beat()
            except Exception:  # a heartbeat never fails the run
                level = logging.DEBUG if self._failing else logging.WARNING
                logger.log(level, "heartbeat of session %s failed; the run goes on", self._name, exc_info=True)
                self._failing = True
            else:
                if self._failing:
                    logger.info("heartbeat of session %s works again", self._name)
                self._failing = False
