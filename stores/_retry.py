"""Bounded retry with jittered exponential backoff, for stores whose files lock.

SQLite's "database is locked" on first use and DuckDB's single-writer file lock are the store's
problem, not the user's: the store retries here until ``timeout`` seconds have passed, then
raises :class:`~session_core.errors.StoreTimeout` naming the location and the last cause.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from session_core.errors import StoreTimeout

logger = logging.getLogger(__name__)
T = TypeVar("T")


def retry_while_locked(
    action: Callable[[], T],
    is_locked: Callable[[BaseException], bool],
    *,
    location: str,
    operation: str,
    timeout: float,
    first_delay: float = 0.002,
    max_delay: float = 0.25,
) -> T:
    """Run ``action`` until it succeeds, retrying while ``is_locked(error)`` says so.

    Raises:
        StoreTimeout: the lock did not free within ``timeout`` seconds.
        Exception: any error that ``is_locked`` does not recognise, at once.
    """
    deadline = time.monotonic() + timeout
    delay = first_delay
    attempts = 0
    while True:
        attempts += 1
        try:
            return action()
        except Exception as exc:
            if not is_locked(exc):
                raise
            if time.monotonic() >= deadline:
                raise StoreTimeout(
                    location, operation, f"still locked after {attempts} attempts in {timeout:g} s: {exc}"
                ) from exc
            logger.debug("%s: %s locked (attempt %d), retrying", location, operation, attempts)
            time.sleep(random.uniform(0, delay))
            delay = min(delay * 2, max_delay)
