"""Whole-process figures: start-up of the command line and of ``import session_core``.

The limit is ``python -m`` of an empty module, started the same way and interleaved with each
command (the cost of an interpreter that does nothing). Commands run as a user runs them, with
bytecode caches: ``PYTHONDONTWRITEBYTECODE`` is dropped and each command is run once first. ``--help`` is also run in-process to
list what it imports: no backend, fsspec, s3fs, GitPython, duckdb or moto module may load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .core import Figure, Target, best_pair, ms
from .settings import Settings

START = Target("ratio", "<=", 2.5)
EMPTY_MODULE = "bench_empty_module"
#: Modules that --help and ``import session_core`` must not import (prefix match).
HEAVY = ("session_core.stores.", "duckdb", "fsspec", "s3fs", "botocore", "aiobotocore", "git", "moto", "sqlite3")

_LIST_MODULES = """
import json, runpy, sys
sys.argv = ["session_core", "--help"]
try:
    runpy.run_module("session_core", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h.rstrip(".") or m.startswith(h) for h in HEAVY)]


def _project(workdir: Path, runs: int) -> Path:
    """A project folder: pyproject.toml, a git repository with one commit, a store with runs."""
    root = Path(tempfile.mkdtemp(prefix="startup-", dir=workdir))
    (root / "pyproject.toml").write_text('[project]\nname = "bench-project"\n')
    (root / f"{EMPTY_MODULE}.py").write_text("")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "init"]):
        subprocess.run(cmd, cwd=root, env=env, check=True)
    for _ in range(runs):
        subprocess.run([sys.executable, "-m", "session_core", "run", "--", "true"], cwd=root,
                       check=True, capture_output=True)
    return root


def run(settings: Settings, backends: list, workdir: Path) -> list[Figure]:
    root = _project(workdir, runs=1 if settings.quick else 5)
    # As a user runs it: with bytecode caches (the first run writes them), no store override.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SESSION_CORE") and key != "PYTHONDONTWRITEBYTECODE"}

    def process(*args: str):
        def start() -> None:
            subprocess.run([sys.executable, *args], cwd=root, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return start

    empty = process("-m", EMPTY_MODULE)
    commands = [
        ("import session_core", process("-c", "import session_core"), START),
        ("python -m session_core --help", process("-m", "session_core", "--help"), START),
        ("python -m session_core list", process("-m", "session_core", "list"), START),
        ("python -m session_core run -- true", process("-m", "session_core", "run", "--", "true"), None),
    ]
    for _, command, _ in commands:
        command()  # warm-up: writes the bytecode caches
    figures = []
    bare_s, empty_s = best_pair(process("-c", "pass"), empty, settings.process_repeats)
    figures.append(Figure("startup", "python -c pass", ms(bare_s), ms(empty_s), "ms",
                          note="bare interpreter beside python -m of an empty module"))
    for name, command, target in commands:
        value_s, limit_s = best_pair(command, empty, settings.process_repeats)
        note = "runs git status, the command and two SQLite saves" if target is None else ""
        figures.append(Figure("startup", name, ms(value_s), ms(limit_s), "ms", target, note=note))
    done = subprocess.run([sys.executable, "-c", _LIST_MODULES], cwd=root, env=env, check=True,
                          capture_output=True, text=True)
    heavy = _heavy(json.loads(done.stdout.splitlines()[-1]))
    figures.append(Figure("startup", "heavy modules imported by --help", len(heavy), None, "modules",
                          Target("value", "<=", 0), note=", ".join(heavy), extra={"modules": heavy}))
    return figures
