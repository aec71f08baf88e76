"""Whole-process figures: start-up of the command line, and where a recorded run's time goes.

Every command runs in a clean interpreter with a regular install of session-core
(:mod:`bench.install`): the limit is that interpreter's ``python -c pass``, interleaved with
each command. Commands run as a user runs them, with bytecode caches (``PYTHONDONTWRITEBYTECODE``
is dropped and each command runs once first). The development venv's own ``python -c pass`` is
shown beside the clean one: the editable finder's cost at every start, which the limit leaves out.

The split of ``run -- true`` (SQLite): the interpreter's start (``-c pass``), the imports
(``python -c`` importing what the run imports, minus the start), and, in process, one
``git status`` collection, the spawn and wait of ``true``, and the two saves of the record
(open, write, write, close). A raw recorder script doing the same work with the bare libraries
(one ``git status``, ``true``, two SQLite upserts) is shown as a whole process too.

``--help`` is also run in-process to list what it imports: no backend, fsspec, s3fs, GitPython,
duckdb or moto module may load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .backends import builtin_spec
from .core import Figure, Target, best_pair, best_time, ms
from .install import CleanInstall, clean_install
from .settings import Settings

START = Target("ratio", "<=", 2.5)
RUN = Target("ratio", "<=", 2.0)
#: Modules that --help and ``import session_core`` must not import (prefix match).
HEAVY = ("session_core.stores.", "duckdb", "fsspec", "s3fs", "botocore", "aiobotocore", "git", "moto", "sqlite3")
#: What ``run -- true`` into the default store imports (the imports part of the split).
RUN_IMPORTS = "import session_core.cli, session_core.commands.run, session_core.wrapped, session_core.stores.sqlite"

_LIST_MODULES = """
import json, runpy, sys
sys.argv = ["session_core", "--help"]
try:
    runpy.run_module("session_core", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""

#: The raw recorder: what a recorded run does, with the bare libraries and nothing else.
RAW_RECORDER = """
import json, os, sqlite3, subprocess, sys, time
git = subprocess.run(["git", "status", "--porcelain=v2", "--branch"], capture_output=True)
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = NORMAL")
conn.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL)")
UPSERT = "INSERT INTO sessions VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record"
key = f"{time.time_ns()}-{os.getpid()}"
conn.execute(UPSERT, (key, json.dumps({"status": "running", "git": git.stdout.decode()})))
code = subprocess.run(sys.argv[2:]).returncode
conn.execute(UPSERT, (key, json.dumps({"status": "completed", "exit_code": code})))
conn.close()
"""


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h.rstrip(".") or m.startswith(h) for h in HEAVY)]


def make_project(workdir: Path, install: CleanInstall, runs: int) -> Path:
    """A project folder: pyproject.toml, a git repository with one commit, a store with runs."""
    root = Path(tempfile.mkdtemp(prefix="startup-", dir=workdir))
    (root / "pyproject.toml").write_text('[project]\nname = "bench-project"\n')
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "init"]):
        subprocess.run(cmd, cwd=root, env=env, check=True)
    for _ in range(runs):
        subprocess.run([str(install.python), "-m", "session_core", "run", "--", "true"], cwd=root,
                       check=True, capture_output=True)
    return root


def user_env() -> dict[str, str]:
    """The environment of a user: bytecode caches on, no store override from the bench's caller."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith("SESSION_CORE") and key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}


def process(python: Path | str, *args: str, cwd: Path) -> Callable[[], None]:
    """A whole process of ``python args`` in ``cwd``, output discarded, failure raised."""
    env = user_env()

    def start() -> None:
        subprocess.run([str(python), *args], cwd=cwd, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return start


def run(settings: Settings, backends: list, workdir: Path) -> list[Figure]:
    install = clean_install(workdir / "clean-venv")
    root = make_project(workdir, install, runs=1 if settings.quick else 5)
    empty_root = Path(tempfile.mkdtemp(prefix="startup-empty-", dir=workdir))
    (empty_root / "pyproject.toml").write_text('[project]\nname = "bench-empty"\n')
    builtin_spec("sqlite", str(empty_root / "runs.db")).open().close()
    python = install.python
    bare = process(python, "-c", "pass", cwd=root)
    commands = [
        ("import session_core", process(python, "-c", "import session_core", cwd=root), START),
        ("python -m session_core --help", process(python, "-m", "session_core", "--help", cwd=root), START),
        ("python -m session_core list (empty store)",
         process(python, "-m", "session_core", "--store", str(empty_root / "runs.db"), "list", cwd=empty_root), START),
        ("python -m session_core list", process(python, "-m", "session_core", "list", cwd=root), START),
        ("python -m session_core run -- true", process(python, "-m", "session_core", "run", "--", "true", cwd=root), RUN),
        ("raw recorder (git status, true, two SQLite saves)",
         process(python, "-c", RAW_RECORDER, str(root / "raw.db"), "true", cwd=root), None),
        ("imports of run -- true", process(python, "-c", RUN_IMPORTS, cwd=root), None),
    ]
    for _, command, _ in commands:
        command()  # warm-up: writes the bytecode caches
    figures = []
    editable_s, bare_s = best_pair(process(sys.executable, "-c", "pass", cwd=root), bare, settings.process_repeats)
    figures.append(Figure("startup", "python -c pass, editable dev venv", ms(editable_s), ms(bare_s), "ms",
                          note="the development venv (editable finder) beside the clean interpreter"))
    measured: dict[str, tuple[float, float]] = {}
    for name, command, target in commands:
        value_s, limit_s = best_pair(command, bare, settings.process_repeats)
        measured[name] = (value_s, limit_s)
        figures.append(Figure("startup", name, ms(value_s), ms(limit_s), "ms", target))
    figures.extend(_split(settings, root, measured))
    done = subprocess.run([str(python), "-c", _LIST_MODULES], cwd=root, env=user_env(), check=True,
                          capture_output=True, text=True)
    heavy = _heavy(json.loads(done.stdout.splitlines()[-1]))
    figures.append(Figure("startup", "heavy modules imported by --help", len(heavy), None, "modules",
                          Target("value", "<=", 0), note=", ".join(heavy), extra={"modules": heavy}))
    return figures


def _split(settings: Settings, root: Path, measured: dict[str, tuple[float, float]]) -> list[Figure]:
    """Where the time of ``run -- true`` goes (ms, no target; the parts are measured apart)."""
    from session_core.gitinfo import collect_git

    whole_s, bare_s = measured["python -m session_core run -- true"]
    imports_s = measured["imports of run -- true"][0] - bare_s
    git_s = best_time(lambda: collect_git(root), settings.repeats)
    spawn_s = best_time(lambda: subprocess.run(["true"], check=True), settings.repeats)
    store = builtin_spec("sqlite", str(root / "split.db"))

    def two_saves() -> None:
        with store.open() as opened:
            opened.write("split", {"status": "running"})
            opened.write("split", {"status": "completed"})

    two_saves()
    saves_s = best_time(two_saves, settings.repeats)
    parts = {"interpreter start": bare_s, "imports": imports_s, "git status": git_s,
             "spawn and wait of true": spawn_s, "two saves (open, write, write, close)": saves_s}
    rest = whole_s - sum(parts.values())
    figures = [Figure("startup/split", name, ms(value), ms(whole_s), "ms", note="limit column: the whole run")
               for name, value in parts.items()]
    figures.append(Figure("startup/split", "rest (record, threads, exit)", ms(rest), ms(whole_s), "ms",
                          note="the whole run minus the parts above"))
    return figures
