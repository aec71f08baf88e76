"""A minimal Kedro project, written by hand in a temporary folder, and commands run inside it.

The project is what ``kedro new`` would give, cut to what ``kedro run`` reads: ``pyproject.toml``
with ``[tool.kedro]``, ``src/<package>/settings.py`` and ``pipeline_registry.py`` (one node that
doubles a parameter, fails when ``DEMO_FAIL`` is set, and when ``DEMO_STARTED_FILE`` is set
writes that file and waits to be signalled), ``conf/base`` and ``conf/local``. It is
a git repository; :func:`select_store` commits each settings change so that runs see a clean tree.

Kedro-telemetry never asks or sends anything here: ``DO_NOT_TRACK`` and
``KEDRO_DISABLE_TELEMETRY`` are set for every command, the project holds a ``.telemetry`` file
with ``consent: false``, and stdin is closed, so a prompt would fail the run instead of waiting.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.git_repos import git

PACKAGE = "demo"
#: a command that has not finished after this long has hung: a failure, not a timing
COMMAND_TIMEOUT_S = 120
#: Kedro's own session id: a millisecond UTC timestamp
KEDRO_ID = re.compile(r"^\d{4}-\d\d-\d\dT\d\d\.\d\d\.\d\d\.\d{3}Z$")


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    """The spool of the commands a test runs (never the user's own)."""
    return tmp_path / "spool"

PIPELINE_REGISTRY = '''\
import os
import time
from pathlib import Path

from kedro.pipeline import Pipeline, node


def double(x):
    if os.environ.get("DEMO_FAIL"):
        raise RuntimeError("node failed on purpose")
    if os.environ.get("DEMO_STARTED_FILE"):  # say the node runs, then wait to be signalled
        Path(os.environ["DEMO_STARTED_FILE"]).write_text("running")
        time.sleep(300)
    return x * 2


def register_pipelines():
    return {"__default__": Pipeline([node(double, "params:x", "doubled", name="double")])}
'''

PYPROJECT = f'''\
[project]
name = "{PACKAGE}"
version = "0.1.0"

[tool.kedro]
package_name = "{PACKAGE}"
project_name = "{PACKAGE}"
kedro_init_version = "1.7.0"
source_dir = "src"
'''


def make_project(root: Path) -> Path:
    """Write the project at ``root``, make it a git repository on ``main``, commit it."""
    package = root / "src" / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text("")
    (package / "pipeline_registry.py").write_text(PIPELINE_REGISTRY)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    (root / "conf" / "local" / ".gitkeep").write_text("")
    (root / "conf" / "base" / "parameters.yml").write_text("x: 21\n")
    (root / "conf" / "base" / "catalog.yml").write_text("{}\n")
    (root / ".telemetry").write_text("consent: false\n")
    (root / ".gitignore").write_text("__pycache__/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a minimal Kedro project")
    return root


def settings_text(class_name: str, args: dict[str, Any] | None = None) -> str:
    """A ``settings.py`` that selects ``session_core.kedro.<class_name>`` (args as a literal dict)."""
    lines = [f"from session_core.kedro import {class_name}", "", f"SESSION_STORE_CLASS = {class_name}"]
    if args is not None:
        lines.append(f"SESSION_STORE_ARGS = {args!r}")
    return "\n".join(lines) + "\n"


def select_store(project: Path, text: str) -> None:
    """Write ``settings.py`` and commit it, so the next run records a clean tree."""
    (project / "src" / PACKAGE / "settings.py").write_text(text)
    git(project, "add", "-A")
    git(project, "commit", "-q", "--allow-empty", "-m", "select the session store")


def head_sha(project: Path) -> str:
    return git(project, "rev-parse", "HEAD")


def command_env(spool: Path, **extra: str) -> dict[str, str]:
    """The environment of every command: no telemetry, a private spool, no store override."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSION_CORE_")}
    env.update(DO_NOT_TRACK="1", KEDRO_DISABLE_TELEMETRY="1", SESSION_CORE_SPOOL=str(spool), **extra)
    return env


def run_python(project: Path, spool: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in the project folder (``-m kedro run``, ``-m session_core list``, ...)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=command_env(spool, **extra_env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )


def listed(project: Path, spool: Path) -> list[dict[str, Any]]:
    """Every record ``python -m session_core list`` shows in the project, with no store given."""
    done = run_python(project, spool, "-m", "session_core", "list", "--json", "--limit", "0")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]
