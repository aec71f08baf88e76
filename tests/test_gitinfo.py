"""Git info from real repositories in every state; never an exception."""

from __future__ import annotations

import logging

from session_core.gitinfo import collect_git, git_status
from tests.git_repos import git


def test_a_clean_repository_gives_full_sha_branch_and_not_dirty(git_repo):
    info = git_status(git_repo)
    assert info == {"commit_sha": git(git_repo, "rev-parse", "HEAD"), "branch": "main", "dirty": False}
    assert len(info["commit_sha"]) == 40


def test_an_untracked_file_makes_the_repository_dirty(git_repo):
    (git_repo / "new.txt").write_text("x")
    assert git_status(git_repo)["dirty"] is True


def test_a_modified_tracked_file_makes_the_repository_dirty(git_repo):
    (git_repo / "README.md").write_text("changed\n")
    assert git_status(git_repo)["dirty"] is True


def test_a_detached_head_gives_the_sha_and_no_branch(git_repo):
    sha = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "checkout", "-q", "--detach")
    info = git_status(git_repo)
    assert info["commit_sha"] == sha
    assert info["branch"] is None


def test_a_repository_without_commits_gives_a_partial_record(empty_git_repo, caplog):
    with caplog.at_level(logging.DEBUG, logger="session_core.gitinfo"):
        info = git_status(empty_git_repo)
    assert info["commit_sha"] is None
    assert info["branch"] == "main"
    assert info["reason"]
    assert any("no commit" in r.getMessage() for r in caplog.records)


def test_a_subfolder_of_a_repository_reports_the_repository(git_repo):
    sub = git_repo / "src" / "pkg"
    sub.mkdir(parents=True)
    assert git_status(sub)["commit_sha"] == git(git_repo, "rev-parse", "HEAD")


def test_no_repository_gives_a_partial_record_and_a_log_line(tmp_path, caplog):
    folder = tmp_path / "plain"
    folder.mkdir()
    with caplog.at_level(logging.DEBUG, logger="session_core.gitinfo"):
        info = git_status(folder)
    assert info["commit_sha"] is None and info["branch"] is None and info["dirty"] is None
    assert info["reason"]
    assert caplog.records


def test_a_missing_git_binary_gives_a_partial_record(git_repo, monkeypatch, tmp_path):
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    info = collect_git(git_repo, rich=True)
    assert info["commit_sha"] is None
    assert "PATH" in info["reason"] or "git" in info["reason"]
    assert "reason" in info["details"]


def test_rich_details_come_from_gitpython(git_repo):
    git(git_repo, "remote", "add", "origin", "https://user:secret@example.invalid/repo.git")
    info = collect_git(git_repo, rich=True)
    details = info["details"]
    assert details["author"] == "Test Author"
    assert details["message"] == "first commit"
    assert "secret" not in details["remotes"]["origin"]


def test_the_default_record_does_not_import_gitpython(git_repo):
    import subprocess
    import sys

    code = (
        "import sys; from session_core.gitinfo import collect_git; "
        f"collect_git({str(git_repo)!r}); print('git' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_git_worktree_is_reported_with_its_own_branch(git_repo, tmp_path):
    worktree = tmp_path / "wt"
    git(git_repo, "worktree", "add", "-q", "-b", "feature", str(worktree))
    info = git_status(worktree)
    assert info["branch"] == "feature"
    assert info["commit_sha"] == git(git_repo, "rev-parse", "HEAD")
