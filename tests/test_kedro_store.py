"""The Kedro-facing stores and hooks, in process: what Kedro hands them and what gets stored.

Each test does what ``KedroSession`` does to its store (construct with ``path`` and
``session_id``, ``update`` with its data, set ``exception`` in ``__exit__``, ``save`` at close)
and reads the result back through the core store class, as ``list`` and ``show`` do.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from session_core import spool
from session_core.config import parse_store
from session_core.errors import ConfigError, StoreError
from session_core.redact import REDACTED
from session_core.registry import BUILTIN_STORES
from session_core.stores.sqlite import SQLiteStore
from tests.git_repos import git

pytest.importorskip("kedro", reason="kedro is not installed (pip install 'session-core[kedro]')")

from kedro.framework.session.store import BaseSessionStore as KedroBaseSessionStore  # noqa: E402

import session_core.kedro  # noqa: E402
import session_core.stores.kedro  # noqa: E402
from session_core.kedro import KedroSQLiteStore, KedroStore, SessionCoreHooks  # noqa: E402
from session_core.kedro.settings import NAMED_STORES  # noqa: E402

KEDRO_ID = "2026-01-02T03.04.05.678Z"


@pytest.fixture(autouse=True)
def private_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "spool"
    monkeypatch.setenv(spool.ENV_SPOOL, str(folder))
    return folder


@pytest.fixture(autouse=True)
def default_sigterm() -> Iterator[None]:
    """The hooks catch SIGTERM while a run is open; a test that leaves one open restores it."""
    yield
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def kedro_data(project: Path) -> dict[str, Any]:
    """What ``KedroSession.create`` puts in its store for ``kedro run --params ...``."""
    return {
        "project_path": project,
        "session_id": KEDRO_ID,
        "cli": {
            "args": [],
            "params": {"tags": (), "pipeline": None, "params": {"db": {"password": "pw1"}, "lr": 0.1}},
            "command_name": "run",
            "command_path": "kedro run --params db.password=pw1,lr=0.1",
        },
        "runtime_params": {"db": {"password": "pw1"}, "lr": 0.1, "day": date(2026, 1, 2), "layers": ("a", "b")},
        "username": "someone",
        "git": {"commit_sha": git(project, "rev-parse", "--short", "HEAD"), "dirty": False},
    }


def open_kedro_store(path: Path, **options: Any) -> KedroSQLiteStore:
    """As ``KedroSession._init_store`` builds it: keyword ``path`` and ``session_id``."""
    return KedroSQLiteStore(path=str(path), session_id=KEDRO_ID, **options)


def stored(path: Path) -> dict[str, Any]:
    with SQLiteStore(str(path)) as store:
        return store.load(KEDRO_ID)


def unwritable(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    return blocker / "sessions"


#: stores whose location is not a local path: one that names no running server (the class
#: is still built; its record would wait in the spool)
SERVER_LOCATIONS = {"postgres": "postgresql://127.0.0.1:1/no_server_here"}


@pytest.mark.parametrize("short_name", sorted(BUILTIN_STORES))
def test_every_builtin_store_has_a_named_kedro_class_that_kedro_accepts(short_name: str, tmp_path: Path) -> None:
    (name,) = [name for name, store in NAMED_STORES.items() if store == short_name]
    named = getattr(session_core.kedro, name)
    assert issubclass(named, KedroBaseSessionStore)  # Kedro's settings validation
    assert named.STORE == short_name  # the settings reader and the class agree
    store = named(path=SERVER_LOCATIONS.get(short_name, str(tmp_path / "sessions")), session_id=KEDRO_ID)
    assert store.spec.class_path == BUILTIN_STORES[short_name][0]


def test_the_path_documented_before_the_move_names_the_same_classes() -> None:
    for name in NAMED_STORES:
        assert getattr(session_core.stores.kedro, name) is getattr(session_core.kedro, name)


def test_kedro_store_wraps_a_store_named_by_url_relative_to_the_project(git_repo: Path) -> None:
    store = KedroStore(path=str(git_repo / "sessions"), session_id=KEDRO_ID, store="sqlite:///runs/history.db")
    store.update(kedro_data(git_repo))
    SessionCoreHooks().before_pipeline_run(run_params={"run_id": KEDRO_ID})  # saves
    store.close()

    with SQLiteStore(str(git_repo / "runs" / "history.db")) as direct:
        assert direct.load(KEDRO_ID)["project_path"] == str(git_repo)
    assert not (git_repo / "sessions").exists()  # Kedro's default path is not used with a URL


def test_a_named_class_refuses_a_store_argument(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        KedroSQLiteStore(path=str(tmp_path / "sessions"), session_id=KEDRO_ID, store="duckdb")
    assert "KedroSQLiteStore" in caught.value.setting


def test_naming_one_variant_does_not_import_the_other_backends() -> None:
    code = (
        "import sys\n"
        "from session_core.kedro import KedroSQLiteStore\n"
        "heavy = sorted(m for m in ('duckdb', 'fsspec', 's3fs', 'session_core.stores.duckdb', 'session_core.stores.json') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_kedro_data_is_stored_as_the_portable_record(git_repo: Path, tmp_path: Path) -> None:
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    SessionCoreHooks().before_pipeline_run(run_params={"run_id": KEDRO_ID})  # saves

    record = stored(tmp_path / "sessions")
    assert record["project_path"] == str(git_repo)
    assert record["cli"]["params"] == {
        "tags": [], "pipeline": None, "params": {"db": {"password": REDACTED}, "lr": 0.1}
    }
    assert "pw1" not in record["cli"]["command_path"]
    assert record["runtime_params"] == {
        "db": {"password": REDACTED}, "lr": 0.1, "day": "2026-01-02", "layers": ["a", "b"]
    }
    assert record["git"] == {"commit_sha": git(git_repo, "rev-parse", "HEAD"), "branch": "main", "dirty": False}
    assert record["username"] == "someone"
    assert {"record_version", "host", "package_name"} <= set(record)
    # Kedro reads runtime_params back from its store to run: the mapping keeps the real values
    assert store["runtime_params"]["db"]["password"] == "pw1"


@pytest.mark.parametrize(("exception_type", "status"), [("KeyboardInterrupt", "interrupted"), ("RuntimeError", "failed")])
def test_an_exception_from_kedro_exit_ends_a_running_record(
    git_repo: Path, tmp_path: Path, exception_type: str, status: str
) -> None:
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    SessionCoreHooks().before_pipeline_run(run_params={"run_id": KEDRO_ID})
    # KeyboardInterrupt skips on_pipeline_error; KedroSession.__exit__ then logs it and saves
    store["exception"] = {"type": exception_type, "value": "", "traceback": ["  File ...\n"]}
    store.save()

    record = stored(tmp_path / "sessions")
    assert record["status"] == status
    assert record["ended_at"] >= record["started_at"]
    assert record["duration_s"] >= 0


def test_a_session_closed_without_a_run_records_nothing(git_repo: Path, tmp_path: Path) -> None:
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    store.save()  # KedroSession.close() of a session that only explored
    with SQLiteStore(str(tmp_path / "sessions")) as direct:
        assert list(direct.session_ids()) == []


def test_hooks_write_a_running_record_then_complete_it_with_timings(git_repo: Path, tmp_path: Path) -> None:
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    hooks = SessionCoreHooks()

    hooks.before_pipeline_run(run_params={"run_id": KEDRO_ID})
    running = stored(tmp_path / "sessions")
    assert running["status"] == "running"
    assert running["ended_at"] is None

    hooks.after_pipeline_run(run_params={"run_id": KEDRO_ID})
    done = stored(tmp_path / "sessions")
    assert done["status"] == "completed"
    assert done["started_at"] == running["started_at"] <= done["ended_at"]
    assert isinstance(done["duration_s"], float) and done["duration_s"] >= 0


def test_hooks_record_a_pipeline_error_as_failed_and_a_retry_starts_afresh(git_repo: Path, tmp_path: Path) -> None:
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    hooks = SessionCoreHooks()
    hooks.before_pipeline_run(run_params={"run_id": KEDRO_ID})
    hooks.on_pipeline_error(error=ValueError("bad input"), run_params={"run_id": KEDRO_ID})

    failed = stored(tmp_path / "sessions")
    assert failed["status"] == "failed"
    assert (failed["exception"]["type"], failed["exception"]["value"]) == ("ValueError", "bad input")

    hooks.before_pipeline_run(run_params={"run_id": KEDRO_ID})  # KedroSession allows a retry
    retried = stored(tmp_path / "sessions")
    assert (retried["status"], retried["exception"]) == ("running", None)


def test_hooks_registered_twice_write_each_transition_once(git_repo: Path, tmp_path: Path) -> None:
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    first, second = SessionCoreHooks(), SessionCoreHooks()  # entry point + HOOKS in settings.py

    first.before_pipeline_run(run_params={"run_id": KEDRO_ID})
    started = stored(tmp_path / "sessions")["started_at"]
    second.before_pipeline_run(run_params={"run_id": KEDRO_ID})
    assert stored(tmp_path / "sessions")["started_at"] == started

    first.on_pipeline_error(error=ValueError("bad input"), run_params={"run_id": KEDRO_ID})
    second.after_pipeline_run(run_params={"run_id": KEDRO_ID})
    assert stored(tmp_path / "sessions")["status"] == "failed"


def test_an_unwritable_store_never_raises_and_the_record_waits_in_the_spool(
    git_repo: Path, tmp_path: Path, private_spool: Path
) -> None:
    location = unwritable(tmp_path)
    store = open_kedro_store(location)  # Kedro would turn an exception here into a failed session
    assert dict(store) == {}
    store.update(kedro_data(git_repo))
    SessionCoreHooks().before_pipeline_run(run_params={"run_id": KEDRO_ID})  # saves

    (entry,) = spool.entries(private_spool)
    assert entry.session_id == KEDRO_ID
    assert entry.record["project_path"] == str(git_repo)
    assert entry.record["runtime_params"]["db"]["password"] == REDACTED
    # aimed at the store the project's configuration names, so `flush` there sends it on
    spec = parse_store("sqlite", {"path": str(location)}, git_repo)
    assert entry.target == spool.target_of(spec.class_path, spec.path)


def test_a_successful_save_clears_a_record_spooled_earlier(git_repo: Path, tmp_path: Path, private_spool: Path) -> None:
    target = spool.target_of("session_core.stores.sqlite:SQLiteStore", str(tmp_path / "sessions"))
    spool.put(private_spool, target, {"session_id": KEDRO_ID, "status": "running"}, "S3 blip")
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    SessionCoreHooks().before_pipeline_run(run_params={"run_id": KEDRO_ID})  # saves
    # a later flush must not replace the finished record with the stale running one
    assert list(spool.entries(private_spool)) == []


def test_strict_raises_the_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        open_kedro_store(unwritable(tmp_path), strict=True)
    assert isinstance(caught.value.cause, OSError)


def test_an_unknown_option_is_a_config_error_even_without_strict(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_kedro_store(tmp_path / "sessions", no_such_option=1)
    assert caught.value.setting == "store options"


def test_a_store_that_fails_to_read_gives_kedro_an_empty_session(tmp_path: Path) -> None:
    SQLiteStore(str(tmp_path / "sessions")).close()
    with sqlite3.connect(tmp_path / "sessions" / "session_store.db") as raw:
        raw.execute("INSERT INTO sessions VALUES (?, ?)", (KEDRO_ID, "{torn"))  # no decoder reads it
    store = open_kedro_store(tmp_path / "sessions")
    assert dict(store) == {}
    assert store.read() == {}


def test_hooks_refresh_the_heartbeat_while_the_pipeline_runs(
    git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("SESSION_CORE_HEARTBEAT", "0.05")
    store = open_kedro_store(tmp_path / "sessions")
    store.update(kedro_data(git_repo))
    hooks = SessionCoreHooks()
    hooks.before_pipeline_run(run_params={"run_id": KEDRO_ID})
    first = stored(tmp_path / "sessions")
    assert first["heartbeat_s"] == 0.05 and first["heartbeat_at"] == first["started_at"]
    deadline = time.monotonic() + 30
    while stored(tmp_path / "sessions")["heartbeat_at"] == first["heartbeat_at"]:
        assert time.monotonic() < deadline, "no heartbeat arrived"
        time.sleep(0.02)
    assert stored(tmp_path / "sessions")["status"] == "running"
    hooks.after_pipeline_run(run_params={"run_id": KEDRO_ID})
    time.sleep(0.2)
    assert stored(tmp_path / "sessions")["status"] == "completed"
