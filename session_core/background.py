"""Daemon threads that never take the process's SIGINT and SIGTERM.

The kernel hands a signal sent to the process to any thread that does not block it. CPython runs
Python handlers only in the main thread, and when the signal lands on another thread the main
thread is not woken from a blocking call: the ``run`` wrapper, sitting in ``waitpid``, would
forward a Ctrl-C only after its command ended. A thread started here is created with those
signals blocked (a new thread inherits the mask, so from its first instruction on), and they
always reach the main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

#: The signals the ``run`` wrapper forwards to its command (:mod:`session_core.wrapped`).
PROCESS_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def start_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """Start ``target`` in a daemon thread that blocks :data:`PROCESS_SIGNALS`; return it."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, PROCESS_SIGNALS)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return thread
