"""Four processes saving at once into one store, beside the same backend's raw rate.

Each writer process opens the store, waits for a common start signal, then saves its share of
sessions one at a time (one ``write`` each, as four running sessions would). The rate is all
saves over the wall time from the signal to the last writer's end; every record must be there
afterwards and no writer may see an error.

The raw limit is the bare library saving the same number of records one at a time, in four
processes where the library allows several writers (SQLite with a busy timeout, files, shelves
in folders of their own), and in one process for DuckDB, whose file lock refuses a second
writer process outright.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from .backends import Backend
from .core import Figure, Target
from .records import sample_record
from .settings import Settings

WRITERS = 4
#: backends whose raw library refuses concurrent writer processes
SINGLE_WRITER_RAW = frozenset({"duckdb"})


def _store_writer(spec: Any, ids: list[str], start: Any, ready: Any, errors: Any) -> None:
    try:
        with spec.open() as store:
            ready.put(1)
            start.wait()
            for i, session_id in enumerate(ids):
                store.write(session_id, sample_record(session_id, i))
    except BaseException:
        errors.put(traceback.format_exc())
        raise


def _raw_writer(backend: Backend, root: Path, ids: list[str], start: Any, ready: Any, errors: Any) -> None:
    try:
        records = [(sid, sample_record(sid, i)) for i, sid in enumerate(ids)]
        ready.put(1)
        start.wait()
        backend.raw_save_each(root, records)
    except BaseException:
        errors.put(traceback.format_exc())
        raise


def _race(target: Any, args_per_writer: list[tuple]) -> tuple[float, list[str]]:
    """Start one process per argument tuple, release them together; (seconds, errors)."""
    ctx = multiprocessing.get_context("spawn")
    start, ready, errors = ctx.Event(), ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, ready, errors)) for args in args_per_writer]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=120)
    began = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - began
    found = []
    while not errors.empty():
        found.append(errors.get())
    found += [f"writer exited with {p.exitcode}" for p in procs if p.exitcode and not found]
    return elapsed, found


def run(settings: Settings, backends: list[Backend], workdir: Path) -> list[Figure]:
    figures = []
    for backend in backends:
        per_writer = max(5, int(backend.concurrent_saves * settings.concurrent_scale))
        shares = [[f"w{w}-{i:06d}" for i in range(per_writer)] for w in range(WRITERS)]
        root = Path(tempfile.mkdtemp(prefix=f"conc-{backend.name}-", dir=workdir))
        spec = backend.store_spec(root)
        spec.open().close()  # the store exists before the race, as the raw table does
        backend.raw_create(root)
        store_s, errors = _race(_store_writer, [(spec, ids) for ids in shares])
        with spec.open() as store:
            stored = set(store.session_ids())
        missing = sum(len(set(ids) - stored) for ids in shares)
        if backend.name in SINGLE_WRITER_RAW:
            raw_s, raw_errors = _race(_raw_writer, [(backend, root, [i for ids in shares for i in ids])])
        else:
            raw_s, raw_errors = _race(_raw_writer, [(backend, root, ids) for ids in shares])
        if raw_errors:
            raise RuntimeError(f"raw {backend.name} writers failed: {raw_errors[0]}")
        total = WRITERS * per_writer
        group = f"concurrent/{backend.name}"
        raw_how = "1 raw process" if backend.name in SINGLE_WRITER_RAW else f"{WRITERS} raw processes"
        figures.append(Figure(group, f"{WRITERS} processes saving", total / store_s, total / raw_s,
                              "rec/s", Target("ratio", ">=", 0.5),
                              note=f"{total} saves; limit: {raw_how}",
                              extra={"errors": errors[:3], "missing": missing}))
        figures.append(Figure(group, "errors and missing records", len(errors) + missing, None,
                              "count", Target("value", "<=", 0)))
    return figures
