"""One inter-process lock file per store location, with a bounded wait.

The operating system's own lock on an open file (``flock`` on POSIX, ``msvcrt.locking`` on
Windows): it drops the lock when its holder dies, so a process killed while holding it never
blocks the store. A waiter tries again every :data:`POLL_INTERVAL` seconds; a failed try is
one system call (2.4 µs here). The ``filelock`` library did the same through layers that cost
130-700 µs per failed try on the loaded 2-core machine (filelock 4.3): with a 2 ms interval
each waiting process burnt up to a quarter of a core, and 8 processes saving into one DuckDB
file spent about twice the CPU of the saves themselves. Nothing is created at import
time; a :class:`StoreLock` is made by the store that needs it (Kedro's class-level
``multiprocessing.Lock`` made at import broke its users' ``set_start_method``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from session_core.errors import StoreTimeout

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # the first byte, from the start of the file
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


#: How often a waiter tries the lock again (seconds); small, so a freed lock is taken at once.
POLL_INTERVAL = 0.001


class StoreLock:
    """An exclusive lock on ``path`` shared by every process and thread using the store.

    Each thread takes it through a descriptor of its own, so threads exclude each other too;
    a thread that already holds it (a read nested in a held query source) goes on at once.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._held = threading.local()

    @contextlib.contextmanager
    def hold(self, location: str, operation: str) -> Iterator[None]:
        """Hold the lock for the block.

        Raises:
            StoreTimeout: another holder kept it for ``timeout`` seconds (names ``location``).
            OSError: the lock file cannot be opened or created.
        """
        if getattr(self._held, "pid", None) == os.getpid():  # not a forked child's copy
            yield
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + self.timeout
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise StoreTimeout(
                        location, operation, f"lock file {self.path} still held after {self.timeout:g} s"
                    )
                time.sleep(POLL_INTERVAL)
            self._held.pid = os.getpid()
            try:
                yield
            finally:
                self._held.pid = None
                _unlock(fd)
        finally:
            os.close(fd)
