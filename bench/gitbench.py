"""Git collection: ``collect_git`` beside one raw ``git status --porcelain=v2 --branch`` call.

Both run in this process on a generated repository of ``git_files`` committed files (2,000 by
default), interleaved, best of ``repeats``. The number of subprocesses one collection starts is
counted by wrapping ``subprocess.Popen`` for the duration of one call. GitPython's richer record
(``git=\"rich\"``) is shown for comparison, with its import excluded.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from session_core.gitinfo import collect_git

from .core import Figure, Target, best_pair, best_time, ms
from .settings import Settings

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def make_repository(parent: Path, files: int) -> Path:
    """A repository with ``files`` committed files in folders of 100, on branch ``main``."""
    root = Path(tempfile.mkdtemp(prefix="git-", dir=parent))
    for i in range(files):
        folder = root / f"pkg{i // 100:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"module{i:05d}.py").write_text(f"VALUE = {i}\n")
    env = {**os.environ, **GIT_ENV}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                ["git", "commit", "-q", "-m", "generated"]):
        subprocess.run(cmd, cwd=root, env=env, check=True)
    return root


def raw_status(root: Path) -> str:
    """The raw limit: one porcelain-v2 status call, output captured."""
    return subprocess.run(["git", "status", "--porcelain=v2", "--branch"], cwd=root,
                          capture_output=True, text=True, check=True).stdout


def count_subprocesses(fn) -> int:
    """How many processes ``fn()`` starts through :mod:`subprocess`."""
    started = 0
    original = subprocess.Popen.__init__

    def counting(self, *args, **kwargs):
        nonlocal started
        started += 1
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = counting
    try:
        fn()
    finally:
        subprocess.Popen.__init__ = original
    return started


def run(settings: Settings, backends: list, workdir: Path) -> list[Figure]:
    root = make_repository(workdir, settings.git_files)
    raw_status(root)  # the first status refreshes the index; time the steady state
    info = collect_git(root)
    if info.get("branch") != "main" or info.get("dirty") is not False:
        raise AssertionError(f"collect_git misread the generated repository: {info}")
    collect_s, raw_s = best_pair(lambda: collect_git(root), lambda: raw_status(root), settings.repeats)
    processes = count_subprocesses(lambda: collect_git(root))
    collect_git(root, rich=True)  # imports GitPython once; the figure below excludes the import
    rich_s = best_time(lambda: collect_git(root, rich=True), max(2, settings.repeats // 3))
    note = f"{settings.git_files:,}-file repository"
    return [
        Figure("git", "collect_git (sha, branch, dirty)", ms(collect_s), ms(raw_s), "ms",
               Target("ratio", "<=", 1.5), note=note),
        Figure("git", "subprocesses per collection", processes, 1, "processes",
               Target("value", "<=", 1), note="the raw limit is the one porcelain call"),
        Figure("git", "collect_git rich (GitPython, import excluded)", ms(rich_s), ms(raw_s), "ms",
               note=note),
    ]
