"""End to end: a real Kedro project records every ``kedro run`` in the store its settings select.

One project (see :mod:`tests.kedro_project`) is reused for every store: each test commits a new
``settings.py``, runs ``python -m kedro run`` as a subprocess, and reads the run back with
``python -m session_core list`` / ``show`` in the project folder with no store argument, so the
project's settings are what both sides read.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from session_core import spool
from session_core.redact import REDACTED
from session_core.registry import StoreSpec
from tests.kedro_project import (
    COMMAND_TIMEOUT_S,
    KEDRO_ID,
    command_env,
    head_sha,
    listed,
    make_project,
    run_python,
    select_store,
    settings_text,
    spool_dir,
)

pytest.importorskip("kedro", reason="kedro is not installed (pip install 'session-core[kedro]')")

pytestmark = pytest.mark.slow

SECRET = "hunter2-do-not-store"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("kedro") / "demo")


def kedro_run(project: Path, spool_dir: Path, *, fail: bool = False) -> Any:
    extra = {"DEMO_FAIL": "1"} if fail else {}
    return run_python(
        project, spool_dir, "-m", "kedro", "run", "--params", f"label=e2e,api_token={SECRET}", **extra
    )


def shown(project: Path, spool_dir: Path, session_id: str) -> dict[str, Any]:
    """The record ``python -m session_core show ID`` prints in the project, with no store given."""
    done = run_python(project, spool_dir, "-m", "session_core", "show", session_id)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


STORES: dict[str, tuple[str, dict[str, Any] | None]] = {
    # name: (variant, SESSION_STORE_ARGS); the S3 arguments are filled in by the test
    "sqlite (Kedro's default path)": ("KedroSQLiteStore", None),
    "duckdb": ("KedroDuckDBStore", {"path": "runs/history.duckdb"}),
    "shelve": ("KedroShelveStore", {"path": "shelve-sessions"}),
    "json folder": ("KedroJSONStore", {"path": "json-sessions"}),
    "KedroStore wrapping a store named by URL": ("KedroStore", {"store": "duckdb:///runs/wrapped.duckdb"}),
    "s3 (moto)": ("KedroJSONStore", None),
    "postgres": ("KedroPostgresStore", None),
}
#: where each store must have landed, opened with the core class (no kedro involved)
EXPECTED = {
    "sqlite (Kedro's default path)": ("session_core.stores.sqlite:SQLiteStore", "sessions"),
    "duckdb": ("session_core.stores.duckdb:DuckDBStore", "runs/history.duckdb"),
    "shelve": ("session_core.stores.shelve:ShelveStore", "shelve-sessions"),
    "json folder": ("session_core.stores.json:JSONStore", "json-sessions"),
    "KedroStore wrapping a store named by URL": ("session_core.stores.duckdb:DuckDBStore", "runs/wrapped.duckdb"),
}


@pytest.mark.parametrize("store", list(STORES))
def test_kedro_run_is_recorded_in_the_selected_store_and_listed_without_a_store_argument(
    store: str, project: Path, spool_dir: Path, request: pytest.FixtureRequest
) -> None:
    variant, args = STORES[store]
    if store.startswith("s3"):
        bucket = request.getfixturevalue("s3_bucket")
        options = request.getfixturevalue("s3_storage_options")
        args = {"path": f"s3://{bucket}/kedro-runs", "storage_options": options}
        expected = StoreSpec("session_core.stores.json:JSONStore", args["path"], {"storage_options": options})
    elif store == "postgres":
        args = {"path": request.getfixturevalue("pg_url")}
        expected = StoreSpec("session_core.stores.postgres:PostgresStore", args["path"])
    else:
        class_path, where = EXPECTED[store]
        expected = StoreSpec(class_path, str(project / where))
    select_store(project, settings_text(variant, args))
    sha = head_sha(project)

    done = kedro_run(project, spool_dir)
    assert done.returncode == 0, done.stderr
    (record,) = listed(project, spool_dir)  # each store starts empty

    assert KEDRO_ID.match(record["session_id"])
    assert record["status"] == "completed"
    assert record["exception"] is None
    started, ended = (datetime.fromisoformat(record[k]) for k in ("started_at", "ended_at"))
    assert started <= ended
    assert isinstance(record["duration_s"], float) and record["duration_s"] >= 0
    assert record["git"] == {"commit_sha": sha, "branch": "main", "dirty": False}
    assert record["cli"]["command_name"] == "run"
    assert record["cli"]["command_path"].startswith("kedro run --params")
    assert record["cli"]["params"]["params"] == {"label": "e2e", "api_token": REDACTED}
    assert record["runtime_params"] == {"label": "e2e", "api_token": REDACTED}
    assert SECRET not in json.dumps(record)
    assert record["project_path"] == str(project)
    assert record["package_name"] == "demo"
    assert list(spool.entries(spool_dir)) == []
    assert shown(project, spool_dir, record["session_id"]) == record
    with expected.open() as direct:
        assert direct.load(record["session_id"]) == record


def test_settings_that_compute_the_store_path_leave_stdout_to_the_command(project: Path, spool_dir: Path) -> None:
    """docs/kedro.md's own example: reading it runs the module, which imports kedro, whose
    logging setup wrote a line to stdout, so `list --json` and `show` printed broken JSON."""
    select_store(
        project,
        "from pathlib import Path\n\nfrom session_core.kedro import KedroSQLiteStore\n\n"
        "SESSION_STORE_CLASS = KedroSQLiteStore\n"
        'SESSION_STORE_ARGS = {"path": str(Path(__file__).parents[2] / "computed-sessions")}\n',
    )
    assert kedro_run(project, spool_dir).returncode == 0

    (record,) = listed(project, spool_dir)  # every stdout line is one JSON record
    assert shown(project, spool_dir, record["session_id"]) == record
    with StoreSpec("session_core.stores.sqlite:SQLiteStore", str(project / "computed-sessions")).open() as direct:
        assert direct.load(record["session_id"]) == record


def test_sigterm_to_kedro_run_is_recorded_interrupted(project: Path, spool_dir: Path, tmp_path: Path) -> None:
    select_store(project, settings_text("KedroSQLiteStore", {"path": "terminated-runs"}))
    started = tmp_path / "node-started"
    run = subprocess.Popen(
        [sys.executable, "-m", "kedro", "run"],
        cwd=project,
        env=command_env(spool_dir, DEMO_STARTED_FILE=str(started)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while not started.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.exists(), "the node never started"
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=COMMAND_TIMEOUT_S)
    finally:
        run.kill()
    assert run.returncode != 0
    (record,) = listed(project, spool_dir)
    assert record["status"] == "interrupted", stderr
    assert record["ended_at"] is not None and record["duration_s"] >= 0


def test_a_failing_node_is_recorded_failed_with_its_exception(project: Path, spool_dir: Path) -> None:
    select_store(project, settings_text("KedroSQLiteStore", {"path": "failing-runs"}))

    done = kedro_run(project, spool_dir, fail=True)
    assert done.returncode != 0
    (record,) = listed(project, spool_dir)
    assert record["status"] == "failed"
    assert record["exception"]["type"] == "RuntimeError"
    assert record["exception"]["value"] == "node failed on purpose"
    assert any("double" in line for line in record["exception"]["traceback"])
    assert record["ended_at"] is not None and record["duration_s"] >= 0
    assert record["git"] == {"commit_sha": head_sha(project), "branch": "main", "dirty": False}


def test_an_unwritable_store_never_fails_kedro_and_the_record_waits_in_the_spool(
    project: Path, spool_dir: Path
) -> None:
    blocker = project / "runs" / "not-a-folder"
    blocker.parent.mkdir(exist_ok=True)
    blocker.write_text("a regular file where the store wants a folder\n")
    select_store(project, settings_text("KedroSQLiteStore", {"path": "runs/not-a-folder/sessions.db"}))

    done = kedro_run(project, spool_dir)
    assert done.returncode == 0, done.stderr
    (entry,) = spool.entries(spool_dir)
    assert entry.record["status"] == "completed"
    assert entry.record["duration_s"] >= 0
    assert entry.target == spool.target_of("session_core.stores.sqlite:SQLiteStore", str(blocker / "sessions.db"))

    # what `kedro ipython` does (it never closes the session), then a run typed into it
    ipython = run_python(
        project,
        spool_dir,
        "-c",
        "from pathlib import Path\n"
        "from kedro.framework.session import KedroSession\n"
        "from kedro.framework.startup import bootstrap_project\n"
        "bootstrap_project(Path.cwd())\n"
        "session = KedroSession.create()\n"
        "session.load_context()\n"
        "session.run()\n",
    )
    assert ipython.returncode == 0, ipython.stderr
    statuses = sorted(e.record["status"] for e in spool.entries(spool_dir))
    assert statuses == ["completed", "completed"]

    # the outage ends: `flush` in the project sends both records on to the project's store
    blocker.unlink()
    flushed = run_python(project, spool_dir, "-m", "session_core", "flush")
    assert flushed.returncode == 0, flushed.stderr
    assert list(spool.entries(spool_dir)) == []
    assert entry.session_id in {r["session_id"] for r in listed(project, spool_dir)}
