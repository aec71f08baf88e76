"""Kedro's interactive workflow, for real: ``kedro ipython`` (IPython in a process of its own),
``%reload_kedro``, and a Jupyter kernel with Kedro's extension.

Kedro's design record: "When using jupyter or ipython you can access the active session object
or create a new one". Kedro never closes the session it gives a notebook, so what is recorded
comes from the hooks when ``session.run()`` is typed, and from ``session.close()`` when the user
closes a session that ran. A session only explored records nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

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
pytest.importorskip("IPython", reason="IPython is not installed (pip install 'session-core[kedro]')")

pytestmark = pytest.mark.slow

#: what the IPython code prints for the test to read: one line, after this marker
ANSWER = "ANSWER:"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "demo")
    select_store(root, settings_text("KedroSQLiteStore"))
    return root


def kedro_ipython(project: Path, spool_dir: Path, code: str, **env: str) -> Any:
    """``kedro ipython -c CODE``: Kedro starts the ``ipython`` program with its extension, which
    runs ``%reload_kedro`` (so ``session``, ``context``, ``catalog`` exist), then CODE."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # Kedro runs `ipython`
    done = run_python(project, spool_dir, "-m", "kedro", "ipython", "-c", code, PATH=path, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def answer(stdout: str) -> Any:
    (line,) = [line for line in stdout.splitlines() if line.startswith(ANSWER)]
    return json.loads(line[len(ANSWER):])


def show_answer(expression: str) -> str:
    return f"import json; print({ANSWER!r} + json.dumps({expression}, default=str))"


def test_kedro_ipython_holds_the_session_id_and_run_data_and_exploring_records_nothing(
    project: Path, spool_dir: Path
) -> None:
    code = "assert catalog.load(\"params:x\") == 21\n" + show_answer('{"id": session.session_id, "store": session.store}')
    found = answer(kedro_ipython(project, spool_dir, code).stdout)

    assert KEDRO_ID.match(found["id"])
    assert found["store"]["session_id"] == found["id"]
    assert found["store"]["project_path"] == str(project)
    assert head_sha(project).startswith(found["store"]["git"]["commit_sha"])  # Kedro's short sha
    assert listed(project, spool_dir) == []


def test_a_run_typed_into_kedro_ipython_is_recorded_once_completed(project: Path, spool_dir: Path) -> None:
    code = "session.run()\n" + show_answer("session.session_id")
    session_id = answer(kedro_ipython(project, spool_dir, code).stdout)

    (record,) = listed(project, spool_dir)
    assert record["session_id"] == session_id
    assert record["status"] == "completed"
    assert record["exception"] is None
    assert record["duration_s"] >= 0


def test_a_failing_run_in_kedro_ipython_is_recorded_failed(project: Path, spool_dir: Path) -> None:
    code = (
        "try:\n    session.run()\nexcept Exception as exc:\n    failure = type(exc).__name__\n"
        + show_answer("failure")
    )
    assert answer(kedro_ipython(project, spool_dir, code, DEMO_FAIL="1").stdout) == "RuntimeError"

    (record,) = listed(project, spool_dir)
    assert record["status"] == "failed"
    assert record["exception"]["type"] == "RuntimeError"


def test_reload_kedro_gives_a_new_session_and_each_run_is_recorded_once(project: Path, spool_dir: Path) -> None:
    code = "\n".join([
        "first = session.session_id",
        "session.run()",
        "%reload_kedro",
        "second = session.session_id",
        "session.run()",
        "try:\n    session.run()\nexcept Exception as exc:\n    refused = type(exc).__name__",  # one run per session
        show_answer("[first, second, refused]"),
    ])
    first, second, refused = answer(kedro_ipython(project, spool_dir, code).stdout)

    assert first != second
    assert refused == "KedroSessionError"
    records = listed(project, spool_dir)
    assert sorted(r["session_id"] for r in records) == sorted([first, second])
    assert {r["status"] for r in records} == {"completed"}


@pytest.mark.parametrize(("code", "recorded"), [("", False), ("session.run()\n", True)], ids=["explored", "ran"])
def test_closing_the_session_records_it_only_when_it_ran(code: str, recorded: bool, project: Path, spool_dir: Path) -> None:
    kedro_ipython(project, spool_dir, code + "session.close()\n")  # Kedro's save_on_close rule
    records = listed(project, spool_dir)
    assert [r["status"] for r in records] == (["completed"] if recorded else [])


def test_a_jupyter_kernel_with_kedros_extension_records_a_run(project: Path, spool_dir: Path) -> None:
    jupyter_client = pytest.importorskip("jupyter_client", reason="jupyter-client is not installed (the test extra)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (the test extra)")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(project), env=command_env(spool_dir))
    outputs: list[str] = []

    def keep_output(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            outputs.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            outputs.append("\n".join(message["content"]["traceback"]))

    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=COMMAND_TIMEOUT_S)
        for cell in ("%load_ext kedro.ipython", "session.run()", show_answer("session.session_id")):
            reply = client.execute_interactive(cell, timeout=COMMAND_TIMEOUT_S, output_hook=keep_output)
            assert reply["content"]["status"] == "ok", "".join(outputs)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    session_id = answer("".join(outputs))
    (record,) = listed(project, spool_dir)
    assert (record["session_id"], record["status"]) == (session_id, "completed")
