"""Git info for the run record: never an exception, at most one subprocess for the default record.

The default record (``commit_sha``, ``branch``, ``dirty``) comes from a single
``git status --porcelain=v2 --branch`` call: git's own answer in every repository layout
(worktrees, submodules, ``GIT_DIR``), and the cheapest complete one (untracked files count as
dirty). GitPython, whose import alone costs about 73 ms and runs git twice, is imported only when
the caller asks for the richer record (remotes, author, commit time and message, submodules).

No repository, a repository without commits, a detached HEAD or a missing git binary each give a
partial record with a ``reason`` and a debug log line.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import Any

from .redact import redact_url

logger = logging.getLogger(__name__)

GIT_TIMEOUT_S = 10.0


def _partial(reason: str, **known: Any) -> dict[str, Any]:
    logger.debug("git info incomplete: %s", reason)
    return {"commit_sha": None, "branch": None, "dirty": None, **known, "reason": reason}


def git_status(path: Path | str) -> dict[str, Any]:
    """``{"commit_sha", "branch", "dirty"}`` of the repository holding ``path``, from one call.

    ``branch`` is ``None`` on a detached HEAD; ``commit_sha`` is ``None`` before the first commit.
    """
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch"],
            cwd=path,
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
        )
    except FileNotFoundError:
        return _partial("git executable not found on PATH")
    except (OSError, subprocess.SubprocessError) as exc:
        return _partial(f"git status could not run: {exc}")
    if done.returncode != 0:
        first_line = (done.stderr.strip().splitlines() or ["unknown error"])[0]
        return _partial(f"not a usable git repository ({first_line})")
    return parse_porcelain_v2(done.stdout)


def parse_porcelain_v2(output: str) -> dict[str, Any]:
    """Parse ``git status --porcelain=v2 --branch`` output into the record's git fields."""
    sha: str | None = None
    branch: str | None = None
    dirty = False
    for line in output.splitlines():
        if line.startswith("# branch.oid "):
            oid = line[len("# branch.oid ") :].strip()
            sha = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line[len("# branch.head ") :].strip()
            branch = None if head == "(detached)" else head
        elif line and not line.startswith("#"):
            dirty = True
    info: dict[str, Any] = {"commit_sha": sha, "branch": branch, "dirty": dirty}
    if sha is None:
        logger.debug("git info incomplete: the repository has no commit yet")
        info["reason"] = "no commit yet"
    elif branch is None:
        logger.debug("git info: detached HEAD at %s", sha)
    return info


def git_details(path: Path | str) -> dict[str, Any]:
    """The richer record through GitPython: remotes, author, commit time and message, submodules.

    Returns ``{}`` plus a ``reason`` when GitPython, git or the repository is unavailable.
    """
    try:
        import git  # GitPython: imported only on request (about 73 ms)
    except ImportError as exc:  # also raised when the git binary is missing
        return {"reason": f"GitPython unavailable: {exc}"}
    try:
        repo = git.Repo(path, search_parent_directories=True)
        details: dict[str, Any] = {
            "remotes": {remote.name: redact_url(remote.url) for remote in repo.remotes},
        }
        try:
            commit = repo.head.commit
        except ValueError:  # no commit yet
            return details
        details.update(
            author=commit.author.name,
            author_email=commit.author.email,
            committed_at=commit.committed_datetime.isoformat(),
            message=commit.message.strip(),
            submodules={sm.path: sm.hexsha for sm in repo.submodules},
        )
        return details
    except Exception as exc:  # GitPython raises a different type per failure
        logger.debug("git details unavailable", exc_info=True)
        return {"reason": f"{type(exc).__name__}: {exc}"}


def collect_git(path: Path | str, rich: bool = False) -> dict[str, Any]:
    """The record's ``git`` section: the one-call status, plus GitPython details when ``rich``."""
    info = git_status(path)
    if rich:
        info["details"] = git_details(path)
    return info
