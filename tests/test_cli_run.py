"""``run`` as a user relies on it: each signal reaches the command once, a failure keeps why,
every finished run has its exit code, a command that cannot start says so."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.test_cli import cli, listed  # noqa: F401  (the fixture)

#: counts the SIGINTs it receives; on SIGTERM prints the count and exits. The count comes from
#: the wakeup fd (one byte per delivery): Python runs a handler once for signals that arrive
#: before it gets to run, and would hide the second one
SIGINT_COUNTER = """
import os, signal, sys
read_end, write_end = os.pipe()
os.set_blocking(write_end, False)
signal.set_wakeup_fd(write_end)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda signum, frame: None)
print('ready', os.getpid(), flush=True)
count = 0
while True:
    for signum in os.read(read_end, 64):
        if signum == signal.SIGINT:
            count += 1
            print('sigint', flush=True)
        elif signum == signal.SIGTERM:
            print(f'sigints={count}', flush=True)
            sys.exit(0)
"""


def read_line_with(stream, wanted: str, timeout: float = 120) -> list[str]:
    """Lines read from ``stream`` up to the first one containing ``wanted`` (fails on EOF or a hang)."""
    seen: list[str] = []
    done = threading.Event()

    def reader() -> None:
        for line in iter(stream.readline, ""):
            seen.append(line)
            if wanted in line:
                done.set()
                return
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(timeout), f"no line with {wanted!r} in {timeout}s: {seen}"
    assert seen and wanted in seen[-1], f"stream ended without {wanted!r}: {seen}"
    return seen


@contextlib.contextmanager
def stopped(process: subprocess.Popen):
    """Hold ``process`` stopped (SIGSTOP): signals sent meanwhile wait until it continues, so
    whatever it forwards arrives after the command has taken the signal sent to it directly."""
    process.send_signal(signal.SIGSTOP)
    os.waitpid(process.pid, os.WUNTRACED)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


def signal_masks(pid: int) -> dict[str, int]:
    """``pid``'s signal masks from /proc (``SigPnd``, ``ShdPnd``, ``SigCgt``...; bit n-1 is signal n)."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: int(value, 16) for key, _, value in (line.partition(":") for line in lines)
            if key in ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")}


def pending(pid: int) -> int:
    masks = signal_masks(pid)
    return masks["SigPnd"] | masks["ShdPnd"]


def wait_until_forwarding(wrapper: int) -> None:
    """Wait until the wrapper catches SIGTERM: its forwarding handlers are in place."""
    bit = 1 << (signal.SIGTERM - 1)
    wait_until(lambda: signal_masks(wrapper)["SigCgt"] & bit, f"the wrapper {wrapper} forwards signals")


def wait_until(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting until {what}"
        time.sleep(0.01)


def wait_until_taken(pid: int, sig: int) -> None:
    """Wait until ``sig`` is no longer pending for ``pid``: delivered, or never sent to it."""
    wait_until(lambda: not pending(pid) & (1 << (sig - 1)), f"process {pid} took signal {sig}")


def wait_until_handled(wrapper: int, sig: int) -> None:
    """Wait until the wrapper took ``sig`` and, its handler done, waits for its command again
    (where the kernel does not say what a process waits in, only the first is checked)."""
    def back_in_wait() -> bool:
        where = Path(f"/proc/{wrapper}/wchan").read_text().strip()
        return where in ("do_wait", "0", "")

    wait_until_taken(wrapper, sig)
    wait_until(back_in_wait, f"the wrapper {wrapper} handled signal {sig}")


@pytest.mark.slow
def test_sigint_to_the_whole_process_group_reaches_the_command_once(cli, git_repo):
    wrapper = subprocess.Popen(
        [sys.executable, "-m", "session_core", "run", "--", sys.executable, "-c", SIGINT_COUNTER],
        cwd=git_repo, env=cli.env, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        command_pid = int(read_line_with(wrapper.stdout, "ready")[-1].split()[1])
        wait_until_forwarding(wrapper.pid)
        with stopped(wrapper):
            os.killpg(wrapper.pid, signal.SIGINT)  # what a job runner stopping the group does
            wait_until_taken(command_pid, signal.SIGINT)
        wait_until_handled(wrapper.pid, signal.SIGINT)  # forwarded by now, if it forwards
        read_line_with(wrapper.stdout, "sigint")
        os.kill(command_pid, signal.SIGTERM)  # the command reports what it counted
        lines = read_line_with(wrapper.stdout, "sigints=")
        assert lines[-1].strip() == "sigints=1"
        wrapper.wait(timeout=120)
    finally:
        if wrapper.poll() is None:
            os.killpg(wrapper.pid, signal.SIGKILL)
    [record] = listed(cli)
    assert record["status"] == "interrupted"


TERMINAL_LAUNCHER = """
import os, sys
slave = sys.argv[1]
os.setsid()
fd = os.open(slave, os.O_RDWR)  # the first terminal a session leader opens becomes its own
for target in (0, 1, 2):
    os.dup2(fd, target)
os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
"""


@pytest.mark.slow
def test_ctrl_c_in_a_terminal_reaches_the_command_once(cli, git_repo):
    master, slave = pty.openpty()
    wrapper = subprocess.Popen(
        [sys.executable, "-c", TERMINAL_LAUNCHER, os.ttyname(slave),
         "-m", "session_core", "run", "--", sys.executable, "-c", SIGINT_COUNTER],
        cwd=git_repo, env=cli.env, pass_fds=(slave,),
    )
    os.close(slave)
    terminal = os.fdopen(master, "r+b", buffering=0)
    output = TerminalOutput(terminal)
    try:
        output.wait_for(b"\n")
        command_pid = int(re.search(rb"ready (\d+)\r?\n", output.text)[1])
        wait_until_forwarding(wrapper.pid)
        with stopped(wrapper):
            terminal.write(b"\x03")  # Ctrl-C: the terminal signals its foreground process group
            output.wait_for(b"sigint")
        wait_until_handled(wrapper.pid, signal.SIGINT)  # forwarded by now, if it forwards
        os.kill(command_pid, signal.SIGTERM)  # the command reports what it counted
        output.wait_for(b"sigints=")
        assert b"sigints=1" in output.text, output.text
        wrapper.wait(timeout=120)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
        terminal.close()
    [record] = listed(cli)
    assert record["status"] == "interrupted"


class TerminalOutput:
    """Everything written to a pseudo-terminal, read in a thread."""

    def __init__(self, terminal) -> None:
        self.text = b""
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(terminal,), daemon=True).start()

    def _read(self, terminal) -> None:
        while True:
            try:
                chunk = terminal.read(4096)
            except OSError:  # the terminal closed
                chunk = b""
            with self._changed:
                self.text += chunk
                self._changed.notify_all()
            if not chunk:
                return

    def wait_for(self, wanted: bytes, timeout: float = 120) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: wanted in self.text, timeout), self.text


def test_a_failed_command_keeps_a_bounded_redacted_tail_of_its_stderr(cli):
    script = (
        "import sys\n"
        "for i in range(50): print(f'line {i} ' + 'x' * 300, file=sys.stderr)\n"
        "print('connecting with password=hunter2 to s3://AKIA:topsecret@bucket', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    done = cli("run", "--", sys.executable, "-c", script)
    assert done.returncode == 3
    assert "line 0 " in done.stderr and "hunter2" in done.stderr  # the user saw all of it
    [record] = listed(cli)
    assert record["status"] == "failed" and record["exit_code"] == 3
    tail = record["stderr_tail"]
    assert tail.splitlines()[-1].startswith("connecting with password=")
    assert "line 49" in tail and "line 0 " not in tail
    assert len(tail.splitlines()) <= 20 and len(tail.encode()) <= 4096
    assert "hunter2" not in tail and "topsecret" not in tail


def test_stderr_reaches_the_terminal_while_the_command_runs(cli, git_repo):
    script = "import sys; print('working', file=sys.stderr, flush=True); sys.stdin.readline(); sys.exit(1)"
    wrapper = subprocess.Popen(
        [sys.executable, "-m", "session_core", "run", "--", sys.executable, "-c", script],
        cwd=git_repo, env=cli.env, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        read_line_with(wrapper.stderr, "working")  # before the command ends
        wrapper.stdin.write("go on\n")
        wrapper.stdin.close()
        assert wrapper.wait(timeout=120) == 1
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    [record] = listed(cli)
    assert record["stderr_tail"] == "working"


def test_a_successful_run_records_exit_code_zero(cli):
    cli("run", "--", sys.executable, "-c", "pass", check=True)
    [record] = listed(cli)
    assert record["status"] == "completed" and record["exit_code"] == 0
    assert "stderr_tail" not in record


def test_a_command_that_is_not_found_says_why_and_is_recorded_failed_with_127(cli):
    done = cli("run", "--", "no-such-program-xyz")
    assert done.returncode == 127
    assert "no-such-program-xyz" in done.stderr and "Traceback" not in done.stderr
    [record] = listed(cli)
    assert record["status"] == "failed" and record["exit_code"] == 127
    assert record["exception"]["type"] == "session_core.errors.CommandNotStarted"


def test_a_command_that_is_not_executable_is_recorded_failed_with_126(cli, git_repo):
    script = git_repo / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    done = cli("run", "--", str(script))
    assert done.returncode == 126
    assert "script.sh" in done.stderr
    [record] = listed(cli)
    assert record["status"] == "failed" and record["exit_code"] == 126
