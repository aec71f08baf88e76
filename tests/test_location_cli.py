"""Locations end to end: read-only commands create nothing, created stores stay out of git,
a wrong setting fails every command the same way before anything runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from session_core.stores.sqlite import SQLiteStore
from tests.git_repos import git

SECRET = "pw-77e2b1"


@pytest.fixture
def cli(git_repo: Path, tmp_path: Path):
    """Run the CLI in ``git_repo`` (no pyproject) with a private spool."""
    env = {**os.environ, "SESSION_CORE_SPOOL": str(tmp_path / "spool")}
    env.pop("SESSION_CORE_STORE", None)
    env.pop("SESSION_CORE_STORE_ARGS", None)

    def run(*args: str, cwd: Path = git_repo) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "session_core", *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
        )

    run.spool = tmp_path / "spool"
    return run


def untracked(repo: Path) -> list[str]:
    return git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()


def entries(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".git" not in p.parts)


@pytest.mark.parametrize("store", [None, "sqlite:///runs.db", "duckdb:///h/runs.duckdb", "json:///j", "shelve:///s"])
@pytest.mark.parametrize("command", [["list"], ["list", "--json"], ["show", "some-id"]])
def test_read_only_commands_never_create_a_store(cli, git_repo: Path, store: str | None, command: list[str]) -> None:
    before = entries(git_repo)
    done = cli(*command, *(["--store", store] if store else []))
    assert done.returncode != 0
    assert "nothing stored at" in done.stderr
    assert entries(git_repo) == before


def test_migrate_never_creates_its_source(cli, git_repo: Path) -> None:
    done = cli("migrate", "sqlite:///missing.db", "json:///copy")
    assert done.returncode != 0 and "nothing stored at" in done.stderr
    assert entries(git_repo) == ["README.md"]


def test_a_missing_store_explains_the_three_slash_reading(cli, git_repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "abs" / "x.db"
    SQLiteStore(str(elsewhere)).close()
    done = cli("list", "--store", f"sqlite:///{str(elsewhere).lstrip('/')}")
    assert done.returncode != 0
    assert f"relative to the project folder {git_repo}" in done.stderr
    assert f"sqlite:///{elsewhere}" in done.stderr  # the four-slash spelling, as a suggestion


@pytest.mark.parametrize(
    "store",
    ["sqlite:///runs.db", "runs.db", "sqlite:///{repo}/runs.db", "duckdb:///runs.duckdb", "shelve:///hist",
     "json:///data/json", "sqlite:///deep/er/runs.db"],
)
def test_a_store_a_command_creates_in_a_work_tree_is_ignored_by_git(cli, git_repo: Path, store: str) -> None:
    store = store.format(repo=git_repo)
    done = cli("run", "--store", store, "--", sys.executable, "-c", "pass")
    assert done.returncode == 0, done.stderr
    assert cli("list", "--store", store, "--json").stdout.count("session_id") == 1
    leftovers = [line for line in untracked(git_repo) if not line.endswith(".gitignore")]
    assert leftovers == []


def test_run_from_a_subfolder_without_a_pyproject_records_at_the_git_top_level(cli, git_repo: Path) -> None:
    sub = git_repo / "analysis" / "notebooks"
    sub.mkdir(parents=True)
    done = cli("run", "--", sys.executable, "-c", "pass", cwd=sub)
    assert done.returncode == 0, done.stderr
    assert (git_repo / ".session_core" / "sessions.db").is_file()
    assert not (sub / ".session_core").exists()
    [line] = cli("list", "--json", cwd=sub).stdout.splitlines()
    assert json.loads(line)["project_path"] == str(git_repo)


def test_run_with_a_wrong_option_fails_before_running_anything(cli, git_repo: Path) -> None:
    marker = git_repo / "ran"
    for store_args in (["--store-arg", "timeot=5"], ["--store-arg", "timeout=abc"], ["--store-arg", "timeout=-1"]):
        done = cli("run", *store_args, "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
        assert done.returncode != 0
        assert not marker.exists()
        assert not cli.spool.exists() or list(cli.spool.iterdir()) == []
        assert done.stderr.count("error:") == 1


@pytest.mark.parametrize("command", [["list"], ["show", "x"], ["flush"], ["run", "--", "true"], ["migrate", "--upgrade"]])
def test_a_wrong_option_is_the_same_error_in_every_command(cli, command: list[str]) -> None:
    done = cli(command[0], "--store-arg", "timeot=5", *command[1:])
    assert done.returncode != 0
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "timeot" in line and "Accepted:" not in line


def test_a_url_with_credentials_is_refused_without_repeating_them(cli, git_repo: Path) -> None:
    for store in (f"file://u:{SECRET}@localhost/p", f"postgresq://u:{SECRET}@db.example/runs"):
        done = cli("run", "--store", store, "--", sys.executable, "-c", "pass")
        assert done.returncode != 0
        assert SECRET not in done.stderr + done.stdout
    assert entries(git_repo) == ["README.md"]
    assert not cli.spool.exists()


def test_migrate_refuses_one_store_spelled_two_ways(cli, git_repo: Path, tmp_path: Path) -> None:
    SQLiteStore(str(git_repo / "runs.db"), "s1").save()
    os.symlink(git_repo, tmp_path / "link")
    for dst in (f"sqlite:///{git_repo}/runs.db", "sqlite:///sub/../runs.db", f"sqlite:///{tmp_path}/link/runs.db", "runs.db"):
        done = cli("migrate", "sqlite:///runs.db", dst)
        assert done.returncode == 2, (dst, done.stderr)
        assert "same store" in done.stderr
