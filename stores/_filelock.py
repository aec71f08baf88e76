"""One inter-process lock file per store location, with a bounded wait.

Built on the ``filelock`` library (``flock`` on POSIX, ``msvcrt`` locking on Windows): the
operating system drops the lock when its holder dies, so a process killed while holding it
never blocks the store. Nothing is created at import time; a :class:`StoreLock` is made by the
store that needs it (Kedro's class-level ``multiprocessing.Lock`` made at import broke its
users' ``set_start_method``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import filelock

from session_core.errors import StoreTimeout

#: How often a waiter tries the lock again (seconds); small, so a freed lock is taken at once.
POLL_INTERVAL = 0.002


class StoreLock:
    """An exclusive lock on ``path`` shared by every process and thread using the store.

    Each thread holds it through a descriptor of its own, so threads exclude each other too.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._lock = filelock.FileLock(path, timeout=timeout)

    @contextlib.contextmanager
    def hold(self, location: str, operation: str) -> Iterator[None]:
        """Hold the lock for the block.

        Raises:
            StoreTimeout: another holder kept it for ``timeout`` seconds (names ``location``).
        """
        try:
            self._lock.acquire(poll_interval=POLL_INTERVAL)
        except filelock.Timeout as exc:
            raise StoreTimeout(
                location, operation, f"lock file {self.path} still held after {self.timeout:g} s"
            ) from exc
        try:
            yield
        finally:
            self._lock.release()
