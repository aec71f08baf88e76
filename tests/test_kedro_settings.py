"""A Kedro project's SESSION_STORE_CLASS / SESSION_STORE_ARGS in the configuration order.

These tests need no kedro: the settings module is read as text, and only a computed setting
runs it. They check what ``resolve_store`` (and so ``list``, ``show``, ``run``, ``flush``) picks
in a Kedro project, and that nothing but ``session_core.kedro.store`` and the hooks ever imports kedro.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from session_core.config import ENV_STORE, ENV_STORE_ARGS, resolve_store
from session_core.errors import ConfigError
from tests.kedro_project import PACKAGE, PYPROJECT


@pytest.fixture(autouse=True)
def no_env_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_STORE, raising=False)
    monkeypatch.delenv(ENV_STORE_ARGS, raising=False)


def kedro_project(root: Path, settings: str, pyproject: str = PYPROJECT, source_dir: str = "src") -> Path:
    """A Kedro project's two files that matter here: pyproject.toml and the settings module."""
    package = root / source_dir / PACKAGE
    package.mkdir(parents=True)
    (package / "settings.py").write_text(textwrap.dedent(settings))
    (root / "pyproject.toml").write_text(pyproject)
    return root


STATIC_FORMS = {
    "from-import, Kedro's default path": (
        """
        from session_core.kedro import KedroSQLiteStore
        SESSION_STORE_CLASS = KedroSQLiteStore
        """,
        ("session_core.stores.sqlite:SQLiteStore", "sessions", {}),
    ),
    "module attribute, relative file path, options": (
        """
        import session_core.kedro
        SESSION_STORE_CLASS = session_core.kedro.KedroDuckDBStore
        SESSION_STORE_ARGS = {"path": "runs/history.duckdb", "timeout": 5}
        """,
        ("session_core.stores.duckdb:DuckDBStore", "runs/history.duckdb", {"timeout": 5}),
    ),
    "the path documented before the move, aliased, URL, strict is the class's own option": (
        """
        from session_core.stores import kedro as sk
        SESSION_STORE_CLASS: type = sk.KedroJSONStore
        SESSION_STORE_ARGS = {"path": "s3://team-bucket/runs", "strict": True,
                              "storage_options": {"endpoint_url": "http://127.0.0.1:9"}}
        """,
        ("session_core.stores.json:JSONStore", "s3://team-bucket/runs", {"storage_options": {"endpoint_url": "http://127.0.0.1:9"}}),
    ),
    "KedroStore wrapping a store named by URL (Kedro's path unused)": (
        """
        from session_core.kedro import KedroStore
        SESSION_STORE_CLASS = KedroStore
        SESSION_STORE_ARGS = {"store": "duckdb:///runs/history.duckdb", "timeout": 5, "strict": True}
        """,
        ("session_core.stores.duckdb:DuckDBStore", "runs/history.duckdb", {"timeout": 5}),
    ),
    "KedroStore wrapping a short name, with a path": (
        """
        from session_core.kedro.store import KedroStore
        SESSION_STORE_CLASS = KedroStore
        SESSION_STORE_ARGS = {"store": "shelve", "path": "runs"}
        """,
        ("session_core.stores.shelve:ShelveStore", "runs", {}),
    ),
    "KedroStore without a store: the embedded default, SQLite, in Kedro's folder": (
        """
        from session_core.kedro import KedroStore
        SESSION_STORE_CLASS = KedroStore
        """,
        ("session_core.stores.sqlite:SQLiteStore", "sessions", {}),
    ),
    "a third-party store class, not imported to resolve": (
        """
        from team_stores.redis import KedroRedisStore as Store
        SESSION_STORE_CLASS = Store
        SESSION_STORE_ARGS = {"path": "redis://cache:6379/0"}
        """,
        ("team_stores.redis:KedroRedisStore", "redis://cache:6379/0", {}),
    ),
}


@pytest.mark.parametrize("form", list(STATIC_FORMS))
def test_the_settings_module_selects_the_store(form: str, tmp_path: Path) -> None:
    settings, (class_path, path, options) = STATIC_FORMS[form]
    project = kedro_project(tmp_path / "project", settings)

    spec = resolve_store(project_path=project)

    assert spec.class_path == class_path
    assert spec.path == (path if "://" in path else str(project / path))
    assert spec.options == options


def test_computed_settings_are_read_by_running_the_module(tmp_path: Path) -> None:
    project = kedro_project(
        tmp_path / "project",
        """
        from pathlib import Path
        from session_core.kedro import KedroShelveStore
        SESSION_STORE_CLASS = KedroShelveStore
        SESSION_STORE_ARGS = {"path": str(Path(__file__).parents[2] / "history")}
        """,
    )
    spec = resolve_store(project_path=project)
    assert (spec.class_path, spec.path) == ("session_core.stores.shelve:ShelveStore", str(project / "history"))


def test_a_custom_source_dir_is_honoured(tmp_path: Path) -> None:
    pyproject = PYPROJECT.replace('source_dir = "src"', 'source_dir = "code"')
    project = kedro_project(
        tmp_path / "project",
        "from session_core.kedro import KedroSQLiteStore\nSESSION_STORE_CLASS = KedroSQLiteStore\n",
        pyproject,
        source_dir="code",
    )
    assert resolve_store(project_path=project).class_path == "session_core.stores.sqlite:SQLiteStore"


@pytest.mark.parametrize(
    "settings",
    [
        "# Kedro's template: everything commented out\n",
        "from kedro.framework.session.store import BaseSessionStore\nSESSION_STORE_CLASS = BaseSessionStore\n",
    ],
    ids=["no store set", "Kedro's own no-op store"],
)
def test_kedros_default_store_leaves_the_embedded_default(settings: str, tmp_path: Path) -> None:
    project = kedro_project(tmp_path / "project", settings)
    spec = resolve_store(project_path=project)
    assert (spec.class_path, spec.path) == ("session_core.stores.sqlite:SQLiteStore", str(project / ".session_core/sessions.db"))


def test_tool_session_core_and_the_environment_come_before_kedro_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject = PYPROJECT + '\n[tool.session_core]\nstore = "duckdb:///team.duckdb"\n'
    project = kedro_project(
        tmp_path / "project",
        "from session_core.kedro import KedroShelveStore\nSESSION_STORE_CLASS = KedroShelveStore\n",
        pyproject,
    )
    assert resolve_store(project_path=project).class_path == "session_core.stores.duckdb:DuckDBStore"
    monkeypatch.setenv(ENV_STORE, "json")
    assert resolve_store(project_path=project).class_path == "session_core.stores.json:JSONStore"


@pytest.mark.parametrize(
    ("args", "folder"),
    [(None, "sessions"), ({"path": "runs/history.duckdb"}, "runs")],
    ids=["Kedro's default folder", "the new folder of a file"],
)
def test_a_new_store_folder_is_created_ignored_by_git(args: dict | None, folder: str, tmp_path: Path) -> None:
    settings = "from session_core.kedro import KedroDuckDBStore\nSESSION_STORE_CLASS = KedroDuckDBStore\n"
    if args is not None:
        settings += f"SESSION_STORE_ARGS = {args!r}\n"
    project = kedro_project(tmp_path / "project", settings)
    spec = resolve_store(project_path=project)
    assert not (project / folder).exists()  # reading the settings creates nothing
    spec.open().close()
    assert (project / folder / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_store_that_persists_nothing_creates_no_folder(tmp_path: Path) -> None:
    project = kedro_project(
        tmp_path / "project", "from session_core.kedro import KedroBaseSessionStore\nSESSION_STORE_CLASS = KedroBaseSessionStore\n"
    )
    assert resolve_store(project_path=project).class_path == "session_core.stores.base:BaseSessionStore"
    assert not (project / "sessions").exists()


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    project = kedro_project(
        tmp_path / "project",
        "from session_core.kedro import KedroJSONStore\nSESSION_STORE_CLASS = KedroJSONStore\n"
        "SESSION_STORE_ARGS = {'path': 'data'}\n",
    )
    (project / "data").mkdir()
    resolve_store(project_path=project).open().close()
    assert not (project / "data" / ".gitignore").exists()


@pytest.mark.parametrize(
    ("settings", "setting_names"),
    [
        ("raise RuntimeError('settings are broken')\nSESSION_STORE_CLASS = make()\n", "settings.py"),
        ("SESSION_STORE_CLASS = 42 if True else None\n", "SESSION_STORE_CLASS"),
        ("from session_core.kedro import KedroSQLiteStore\nSESSION_STORE_CLASS = KedroSQLiteStore\n"
         "SESSION_STORE_ARGS = ['path']\n", "SESSION_STORE_ARGS"),
        ("SESSION_STORE_CLASS = (\n", "settings.py"),
    ],
    ids=["module raises", "not a class", "args not a dict", "syntax error"],
)
def test_broken_settings_are_a_config_error_naming_them(settings: str, setting_names: str, tmp_path: Path) -> None:
    project = kedro_project(tmp_path / "project", settings)
    with pytest.raises(ConfigError) as caught:
        resolve_store(project_path=project)
    assert setting_names in caught.value.setting


def test_nothing_but_the_kedro_modules_imports_kedro(tmp_path: Path) -> None:
    project = kedro_project(
        tmp_path / "project",
        "from session_core.kedro import KedroSQLiteStore\nSESSION_STORE_CLASS = KedroSQLiteStore\n",
    )
    code = textwrap.dedent(
        """
        import importlib, json, pkgutil, sys
        import session_core, session_core.stores, session_core.conformance
        from session_core.config import resolve_store
        kedro_modules = {"session_core.stores.kedro", "session_core.kedro.store", "session_core.kedro.hooks"}
        for package in (session_core, session_core.stores, session_core.conformance):
            for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                if info.name not in kedro_modules and not info.name.endswith(".__main__"):
                    importlib.import_module(info.name)
        spec = resolve_store(project_path=sys.argv[1])
        spec.open().close()
        print(json.dumps([spec.class_path, sorted(m for m in sys.modules if m.split(".")[0] == "kedro")]))
        """
    )
    done = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    class_path, kedro_modules = json.loads(done.stdout)
    assert class_path == "session_core.stores.sqlite:SQLiteStore"
    assert kedro_modules == []
