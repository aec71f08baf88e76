"""Costs that must not grow with the store: ``list``'s newest rows, ``list --json``'s one stream,
and one recorded run.

* ``list`` on a 10,000-session SQLite store, whole process (clean install, :mod:`bench.install`),
  beside a bare start plus the raw ``SELECT ... ORDER BY id DESC LIMIT 20`` and ``json.loads``
  of the rows shown. Target: within 2.5x.
* ``list`` (the newest 20 rows, in process) on a large store beside the same on a 100-session
  store, for every backend measured. SQL stores read only the rows shown; the JSON folder and
  shelve list every name first (shown, no target). Target: within 1.2x.
* ``list --json`` of every record (10,000 sessions, SQLite, in process) beside a raw streaming
  read and ``json.loads`` of every row, newest first. Target: within 1.5x.
* ``run -- true`` into the large store beside an empty one (only the store differs), whole
  processes, for every backend measured. Target: within 1.1x.

Large is ``--max-sessions`` (100,000 by default) for SQLite, DuckDB and the JSON folder (whose
files are written straight into its ``sessions/`` folder, unsynced, to build it fast) and
10,000 for shelve (one dbm shelf of several files per session, written through the store).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .backends import Backend
from .core import Figure, Target, best_pair, best_time, ms
from .install import clean_install
from .records import sample_records
from .settings import Settings
from .startup import process

LIST = Target("ratio", "<=", 2.5)
SAME = Target("ratio", "<=", 1.2)
STREAM = Target("ratio", "<=", 1.5)
NO_GROWTH = Target("ratio", "<=", 1.1)
SMALL = 100
LIST_SIZE = 10_000
#: largest store per backend beyond ``--max-sessions`` (shelve: see the module docstring)
CAPS = {"shelve": 10_000}
#: backends whose store can order by id: the newest rows cost the same at any size
ORDERED = {"sqlite", "duckdb", "postgres"}


def fill(backend: Backend, root: Path, count: int) -> str:
    """A store of ``count`` sample sessions for ``backend`` under ``root``; its ``--store`` value."""
    root.mkdir(parents=True, exist_ok=True)
    spec = backend.store_spec(root)
    records = sample_records(count)
    with spec.open() as store:
        if backend.name == "json" and count > SMALL:  # planted: 100,000 fsynced files take minutes
            sessions = root / "store" / "sessions"
            store.write_many(records[:1])
            for session_id, record in records[1:]:
                (sessions / session_id).write_text(json.dumps(record))
        else:
            store.write_many(records)
    return store_arg(backend, spec)


def store_arg(backend: Backend, spec: Any) -> str:
    """``--store`` for ``spec`` as a user writes it: ``file:///abs/folder`` for the JSON folder,
    ``NAME:////abs/path`` for the others."""
    if backend.name == "json":
        return f"file://{spec.path}"
    return f"{backend.name}:///{spec.path}"


def in_process_list(store: str, *argv: str) -> Callable[[], None]:
    """``python -m session_core --store STORE list ARGV`` in this process, output discarded."""
    from session_core import cli

    def run() -> None:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            code = cli.main(["--store", store, "list", *argv])
        if code != 0:
            raise RuntimeError(f"list {' '.join(argv)} on {store} exited {code}")
    return run


def run(settings: Settings, backends: list[Backend], workdir: Path) -> list[Figure]:
    install = clean_install(workdir / "scale-venv")
    small = 10 if settings.quick else SMALL
    list_size = max(settings.sizes) if settings.quick else LIST_SIZE
    figures = [*_sqlite_list(settings, install.python, workdir / "list", list_size)]
    for backend in backends:
        if backend.name == "postgres":
            continue  # the server's own store URL differs; see docs/performance.md
        large = min(settings.max_sessions, CAPS.get(backend.name, settings.max_sessions))
        base = workdir / f"scale-{backend.name}"
        stores = {"small": fill(backend, base / "small", small), "large": fill(backend, base / "large", large),
                  "empty": fill(backend, base / "empty", 0)}
        newest = [in_process_list(stores[size]) for size in ("large", "small")]
        for command in newest:
            command()
        large_s, small_s = best_pair(*newest, settings.repeats)
        figures.append(Figure(f"scale/{backend.name}", f"list newest 20, beside {small} sessions", ms(large_s),
                              ms(small_s), "ms", SAME if backend.name in ORDERED else None, large,
                              note="" if backend.name in ORDERED else "lists every name, then reads the newest"))
        project = base / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text('[project]\nname = "bench-scale"\n')
        runs = [process(install.python, "-m", "session_core", "--store", stores[size], "run", "--", "true",
                        cwd=project) for size in ("large", "empty")]
        for command in runs:
            command()
        large_s, empty_s = best_pair(*runs, settings.process_repeats)
        figures.append(Figure(f"scale/{backend.name}", "run -- true, beside an empty store",
                              ms(large_s), ms(empty_s), "ms", NO_GROWTH, large))
    return figures


def _sqlite_list(settings: Settings, python: Path, base: Path, size: int) -> list[Figure]:
    """``list`` whole process and ``list --json`` in process on a SQLite store of ``size``."""
    from .backends.sqlite import BACKEND

    store = fill(BACKEND, base, size)
    db = BACKEND.store_spec(base).path
    project = base / "project"
    project.mkdir()
    bare = process(python, "-c", "pass", cwd=project)
    whole = process(python, "-m", "session_core", "--store", store, "list", cwd=project)
    whole()

    def newest_rows() -> None:
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT id, record FROM sessions ORDER BY id DESC LIMIT 20").fetchall()
        [json.loads(text) for _, text in rows]
        conn.close()

    select_s = best_time(newest_rows, settings.repeats)
    list_s, bare_s = best_pair(whole, bare, settings.process_repeats)
    figures = [Figure("scale/sqlite", "python -m session_core list", ms(list_s), ms(bare_s + select_s),
                      "ms", LIST, size, note="limit: bare start + the raw SELECT of the 20 rows shown")]

    def raw_stream() -> None:
        conn = sqlite3.connect(db)
        cursor = conn.execute("SELECT id, record FROM sessions ORDER BY id DESC")
        while rows := cursor.fetchmany(1000):
            for _, text in rows:
                json.loads(text)
        conn.close()

    as_json = in_process_list(store, "--json")
    as_json()
    json_s, raw_s = best_pair(as_json, raw_stream, max(1, min(settings.repeats, 5)))
    figures.append(Figure("scale/sqlite", "list --json", ms(json_s), ms(raw_s), "ms", STREAM, size,
                          note="limit: one raw streaming read and json.loads of every row"))
    return figures

