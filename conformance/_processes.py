"""Running workers in fresh processes (multiprocessing's 'spawn' start method) and killing them.

'spawn' gives each worker a fresh interpreter that rebuilds the store from its picklable spec,
so nothing is inherited from the test process (no open connection, no lock, no cached state):
the same situation as separate ``kedro run`` commands sharing one store.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.context import SpawnContext
from typing import Any

from . import _workers

#: A worker that has not reported after this long is treated as hung (a failure, not a timing).
WORKER_TIMEOUT_S = 180.0


def spawn_context() -> SpawnContext:
    return multiprocessing.get_context("spawn")


def run_workers(jobs: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
    """Run each ``(function, args)`` in its own spawned process, all at once.

    Returns:
        Each job's return value, in job order.

    Raises:
        AssertionError: a worker raised (its traceback is included), died or hung.
    """
    context = spawn_context()
    results = context.Queue()
    processes = [
        context.Process(target=_workers.run, args=(index, work, args, results), daemon=True)
        for index, (work, args) in enumerate(jobs)
    ]
    for process in processes:
        process.start()
    outcomes = _collect(results, processes, len(jobs))
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
    errors = [f"worker {index}: {text}" for index, (status, text) in sorted(outcomes.items()) if status == "error"]
    silent = [
        f"worker {index} exited with code {processes[index].exitcode} without reporting"
        for index in range(len(jobs))
        if index not in outcomes
    ]
    if errors or silent:
        raise AssertionError("\n".join(errors + silent))
    return [outcomes[index][1] for index in range(len(jobs))]


def _collect(results: Any, processes: list[Any], expected: int) -> dict[int, tuple[str, Any]]:
    outcomes: dict[int, tuple[str, Any]] = {}
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while len(outcomes) < expected and time.monotonic() < deadline:
        try:
            index, status, value = results.get(timeout=0.5)
        except queue.Empty:
            if not any(process.is_alive() for process in processes):
                try:
                    index, status, value = results.get(timeout=1.0)
                except queue.Empty:
                    break
            else:
                continue
        outcomes[index] = (status, value)
    return outcomes


@dataclass
class KilledWriter:
    """What a writer acknowledged before it was killed with SIGKILL."""

    saved: list[str] = field(default_factory=list)
    rewritten: list[int] = field(default_factory=list)


def kill_writer_after(
    work: Callable[..., Any], args: tuple[Any, ...], acknowledgements: int, delay_s: float
) -> KilledWriter:
    """Run ``work(conn, *args)`` in a spawned process and SIGKILL it at a chosen point.

    The point is ``delay_s`` seconds after the writer's ``acknowledgements``-th acknowledgement
    (0 means: right after it started opening the store). Messages the writer sent before it
    died are read to the end, so every acknowledged save is known.

    Raises:
        AssertionError: the writer stopped on its own (its traceback is in the captured stderr).
    """
    context = spawn_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=work, args=(sender, *args), daemon=True)
    process.start()
    sender.close()
    written = KilledWriter()
    try:
        for _ in range(acknowledgements + 1):
            if not receiver.poll(WORKER_TIMEOUT_S):
                raise AssertionError(f"the writer sent nothing for {WORKER_TIMEOUT_S:g} s")
            _record(written, receiver.recv())
        time.sleep(delay_s)
    except EOFError:
        pass  # the writer died by itself: reported below
    finally:
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
        process.join()
    if process.exitcode != -signal.SIGKILL:
        raise AssertionError(
            f"the writer stopped by itself (exit code {process.exitcode}) before it was killed; "
            "its traceback is in the captured stderr"
        )
    while True:
        try:
            _record(written, receiver.recv())
        except (EOFError, OSError):
            break
    receiver.close()
    return written


def _record(written: KilledWriter, message: tuple[str, Any]) -> None:
    kind, value = message  # "opening" marks a kill point and records nothing
    if kind == "saved":
        written.saved.append(value)
    elif kind == "rewritten":
        written.rewritten.append(value)
