"""Run a command as a recorded session: exit code passed through, each signal delivered once.

SIGINT and SIGTERM reach the command exactly once, however they were sent:

- in the foreground of a terminal, the command shares our process group, so it keeps the
  terminal (prompts, debuggers, REPLs work). Ctrl-C there goes from the terminal to the whole
  group, the command included, so SIGINT is not forwarded again; SIGTERM is.
- otherwise the command runs in a process group of its own, so a signal sent to our group
  (``kill -INT -PGID``, a job runner stopping the group) reaches only us, and we forward it.
  A SIGKILL to our group cannot be forwarded: the command outlives us then.

The session is recorded as ``interrupted`` after a forwarded signal (MLflow, measured here, left
a run ended by SIGTERM as running forever). A non-zero exit is recorded as ``failed`` with its
exit code and the tail of its stderr (MLflow recorded ``sys.exit(1)`` as finished); every
finished run records its ``exit_code``, 0 included. A command that cannot be started is
``failed`` with 127 (not found) or 126 (not executable), as a shell reports it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any

from .errors import CommandFailed, CommandNotStarted, RunInterrupted
from .session import Session
from .stderr_tail import StderrTail

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: signals a terminal sends to its whole foreground process group (Ctrl-C)
KEYBOARD_SIGNALS = frozenset({signal.SIGINT})


def in_terminal_foreground() -> bool:
    """True when our process group is the foreground group of our controlling terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:  # no controlling terminal
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _execute(command: list[str]) -> int:
    """Run ``command``; raise CommandFailed / RunInterrupted for the session to record.

    Raises:
        CommandNotStarted: the command was not found (127) or is not executable (126).
        CommandFailed: it exited non-zero; carries ``exit_code`` and ``stderr_tail``.
        RunInterrupted: SIGINT/SIGTERM stopped it (or was forwarded to it).
    """
    shares_terminal = in_terminal_foreground()
    received: list[int] = []
    started: list[subprocess.Popen[bytes]] = []

    def send(process: subprocess.Popen[bytes], signum: int) -> None:
        if shares_terminal and signum in KEYBOARD_SIGNALS:
            return  # the terminal sent it to the command as well
        if process.poll() is None:
            process.send_signal(signum)

    def forward(signum: int, _frame: Any) -> None:
        received.append(signum)
        if started:
            send(started[0], signum)

    # installed before the command starts, so no signal finds Python's default handler
    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    try:
        try:
            process = subprocess.Popen(
                command, stderr=subprocess.PIPE, process_group=None if shares_terminal else 0
            )
        except OSError as exc:
            raise CommandNotStarted(command, exc) from exc
        early = len(received)
        started.append(process)
        for signum in received[:early]:  # arrived while the command was starting
            send(process, signum)
        assert process.stderr is not None
        stderr = StderrTail(process.stderr)
        code = process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    exit_code = 128 - code if code < 0 else code
    if received or code in (-signal.SIGINT, -signal.SIGTERM):
        sig = received[0] if received else -code
        raise RunInterrupted(signal.Signals(sig).name, exit_code)
    if code != 0:
        raise CommandFailed(command, exit_code, stderr_tail=stderr.text())
    return 0


def run_recorded(command: list[str], **create_args: Any) -> int:
    """Run ``command`` inside a new session; return the exit code to pass through.

    Raises:
        CommandNotStarted: the command could not be started (recorded as ``failed`` first).
        ConfigError, InvalidSessionId: from :meth:`Session.create`, before anything ran.
    """
    with Session.create(cli=command, **create_args) as session:
        try:
            session.run(_execute, command)
        except CommandNotStarted:
            raise
        except (CommandFailed, RunInterrupted) as exc:
            return exc.exit_code if exc.exit_code is not None else 1
        session.record_outcome(SystemExit(0))  # exited 0: completed, with its exit code
        return 0
