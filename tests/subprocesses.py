"""Real Python subprocesses for store tests: writers that run at once, lock holders, victims.

Each child is a fresh interpreter running a code string (``python -c``) from the project folder,
so it shares nothing with the test process: no connection, no lock, no cached state.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
#: A child that has not finished after this long has hung: a failure, not a timing.
CHILD_TIMEOUT_S = 600.0


def start(code: str, *args: str) -> subprocess.Popen[str]:
    """Start ``python -c code args...``; its stdin, stdout and stderr are pipes."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    """Wait for a child and return its stdout.

    Raises:
        AssertionError: the child exited non-zero (its stderr is in the message).
    """
    out, err = process.communicate(timeout=CHILD_TIMEOUT_S)
    if process.returncode != 0:
        raise AssertionError(f"child exited with {process.returncode}:\n{err}")
    return out


def run_all(code: str, arg_lists: list[list[str]]) -> list[str]:
    """Run one child per argument list, all at once; return each one's stdout in order."""
    processes = [start(code, *args) for args in arg_lists]
    return [finish(process) for process in processes]


@contextlib.contextmanager
def holding(code: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Run a child that takes a lock, prints ``ready`` and holds it until its stdin closes.

    ``code`` must print ``ready`` (flushed) once it holds the lock, then block on
    ``sys.stdin.read()``. Leaving the block releases the lock and checks the child's exit.
    """
    process = start(code, *args)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if line.strip() != "ready":
            process.kill()
            _, err = process.communicate()
            raise AssertionError(f"lock holder did not get ready: {line!r}\n{err}")
        yield process
    finally:
        if process.poll() is None and process.stdin:
            process.stdin.close()
        process.wait(timeout=CHILD_TIMEOUT_S)
