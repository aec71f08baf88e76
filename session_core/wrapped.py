"""Run a command as a recorded session: exit code passed through, signals forwarded.

SIGINT and SIGTERM received by this process are forwarded to the command; the session is then
recorded as ``interrupted`` (MLflow, measured here, left a run ended by SIGTERM as running
forever). A non-zero exit is recorded as ``failed`` with its exit code (MLflow recorded
``sys.exit(1)`` as finished).
"""

from __future__ import annotations

import signal
import subprocess
from typing import Any

from .errors import CommandFailed, RunInterrupted
from .session import Session

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _execute(command: list[str]) -> int:
    """Run ``command``; raise CommandFailed / RunInterrupted for the session to record."""
    try:
        process = subprocess.Popen(command)
    except OSError as exc:
        raise CommandFailed(command, 127, f"command could not start: {exc}") from exc
    received: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        received.append(signum)
        if process.poll() is None:
            process.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    try:
        code = process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    exit_code = 128 - code if code < 0 else code
    if received or code in (-signal.SIGINT, -signal.SIGTERM):
        sig = received[0] if received else -code
        raise RunInterrupted(signal.Signals(sig).name, exit_code)
    if code != 0:
        raise CommandFailed(command, exit_code)
    return 0


def run_recorded(command: list[str], **create_args: Any) -> int:
    """Run ``command`` inside a new session; return the exit code to pass through."""
    with Session.create(cli=command, **create_args) as session:
        try:
            return session.run(_execute, command)
        except (CommandFailed, RunInterrupted) as exc:
            return exc.exit_code if exc.exit_code is not None else 1
