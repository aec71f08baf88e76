"""Real git repositories in temporary folders, in every state the git collector must handle."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; return its stdout."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.parent)}
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_repo(path: Path, *, commit: bool = True, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    if commit:
        (path / "README.md").write_text("project\n")
        git(path, "add", "README.md")
        git(path, "commit", "-q", "-m", "first commit")
    return path


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A clean repository on branch ``main`` with one commit."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def empty_git_repo(tmp_path: Path) -> Path:
    """A repository with no commit yet."""
    return make_repo(tmp_path / "empty", commit=False)
