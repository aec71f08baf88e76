"""Which store is used: the resolution order, every accepted form, every bad setting."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from session_core.config import ENV_STORE, ENV_STORE_ARGS, parse_option_pairs, parse_store, resolve_store
from session_core.errors import ConfigError


def write_pyproject(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text(f'[project]\nname = "p"\n\n{body}\n')


def test_the_default_is_sqlite_inside_the_project_and_kept_out_of_git_once_opened(project):
    spec = resolve_store(project_path=project)
    assert spec.class_path == "session_core.stores.sqlite:SQLiteStore"
    assert spec.path == str(project / ".session_core" / "sessions.db")
    assert not (project / ".session_core").exists()  # resolving creates nothing
    spec.open().close()
    assert (project / ".session_core" / ".gitignore").read_text().strip().endswith("*")


def test_pyproject_beats_the_default(project):
    write_pyproject(project, '[tool.session_core]\nstore = "duckdb:///runs.duckdb"\nstore_args = { timeout = 5 }')
    spec = resolve_store(project_path=project)
    assert spec.class_path == "session_core.stores.duckdb:DuckDBStore"
    assert spec.path == str(project / "runs.duckdb")
    assert spec.options == {"timeout": 5}


def test_the_environment_beats_pyproject(project, monkeypatch):
    write_pyproject(project, '[tool.session_core]\nstore = "duckdb"')
    monkeypatch.setenv(ENV_STORE, "shelve:///hist")
    monkeypatch.setenv(ENV_STORE_ARGS, json.dumps({"timeout": 2}))
    spec = resolve_store(project_path=project)
    assert spec.class_path == "session_core.stores.shelve:ShelveStore"
    assert spec.options == {"timeout": 2}


def test_the_explicit_argument_beats_the_environment(project, monkeypatch):
    monkeypatch.setenv(ENV_STORE, "duckdb")
    spec = resolve_store("none", project_path=project)
    assert spec.class_path == "session_core.stores.base:BaseSessionStore"


def test_the_project_is_found_from_a_subfolder(project, monkeypatch):
    write_pyproject(project, '[tool.session_core]\nstore = "sqlite:///h.db"')
    sub = project / "src" / "pkg"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert resolve_store().path == str(project / "h.db")


@pytest.mark.parametrize(
    ("value", "class_path", "path"),
    [
        ("sqlite:///runs.db", "session_core.stores.sqlite:SQLiteStore", "{root}/runs.db"),
        ("sqlite:////abs/runs.db", "session_core.stores.sqlite:SQLiteStore", "/abs/runs.db"),
        ("duckdb:///runs.duckdb", "session_core.stores.duckdb:DuckDBStore", "{root}/runs.duckdb"),
        ("shelve:///folder", "session_core.stores.shelve:ShelveStore", "{root}/folder"),
        ("file:///srv/runs", "session_core.stores.json:JSONStore", "/srv/runs"),
        ("json:///runs", "session_core.stores.json:JSONStore", "{root}/runs"),
        ("runs.db", "session_core.stores.sqlite:SQLiteStore", "{root}/runs.db"),
        ("/srv/runs.duckdb", "session_core.stores.duckdb:DuckDBStore", "/srv/runs.duckdb"),
        ("s3://bucket/prefix", "session_core.stores.json:JSONStore", "s3://bucket/prefix"),
        ("memory://", "session_core.stores.json:MemoryJSONStore", "memory://"),
        ("memory", "session_core.stores.json:MemoryJSONStore", "memory://session_core"),
        ("SQLite", "session_core.stores.sqlite:SQLiteStore", "{root}/.session_core/sessions.db"),
        ("session_core.stores.sqlite:SQLiteStore", "session_core.stores.sqlite:SQLiteStore", None),
    ],
)
def test_every_accepted_form(project, value, class_path, path):
    spec = parse_store(value, None, project)
    assert spec.class_path == class_path
    assert spec.path == (path.format(root=project) if path else None)


@pytest.mark.parametrize(
    "value",
    ["bogus", "ftp2://host/x", "sqlite://relative.db", "sqlite:///", "two words", "", "pkg.mod:"],
)
def test_bad_store_settings_name_the_setting(project, value):
    with pytest.raises(ConfigError) as info:
        parse_store(value, None, project, setting="--store")
    assert info.value.setting == "--store"
    assert info.value.value == value


def test_a_path_given_twice_is_refused(project):
    with pytest.raises(ConfigError):
        parse_store("sqlite:///a.db", {"path": "b.db"}, project)


def test_a_bad_environment_args_value_names_the_variable(project, monkeypatch):
    monkeypatch.setenv(ENV_STORE, "sqlite")
    monkeypatch.setenv(ENV_STORE_ARGS, "{not json")
    with pytest.raises(ConfigError) as info:
        resolve_store(project_path=project)
    assert info.value.setting == ENV_STORE_ARGS
    monkeypatch.setenv(ENV_STORE_ARGS, "[1, 2]")
    with pytest.raises(ConfigError):
        resolve_store(project_path=project)


@pytest.mark.parametrize(
    "body",
    ["[tool.session_core]\nstor = 'sqlite'", "[tool.session_core]\nstore = 'sqlite'\ncolour = 'red'",
     "[tool.session_core]\nstore = 3", "[tool.session_core\nstore = 'x'"],
)
def test_a_bad_pyproject_section_is_a_config_error(project, body):
    write_pyproject(project, body)
    with pytest.raises(ConfigError):
        resolve_store(project_path=project)


def test_an_unknown_store_option_names_the_option(project):
    spec = parse_store("sqlite", {"colour": "red"}, project)
    with pytest.raises(ConfigError) as info:
        spec.open()
    assert info.value.value == ["colour"]  # names only: option values may be credentials
    assert not (project / ".session_core").exists()  # refused before anything is created


def test_a_class_path_that_is_not_a_store_is_refused(project):
    with pytest.raises(ConfigError):
        parse_store("json:JSONDecoder", None, project).open()
    with pytest.raises(ConfigError):
        parse_store("no_such_module_xyz:Store", None, project).open()


def test_store_arguments_from_the_command_line_are_parsed_as_json_when_they_can_be():
    assert parse_option_pairs(["timeout=5", "name=runs", "flags=[1,2]"]) == {
        "timeout": 5, "name": "runs", "flags": [1, 2],
    }
    with pytest.raises(ConfigError):
        parse_option_pairs(["novalue"])


def test_a_third_party_store_registers_a_short_name_and_url_scheme_by_entry_point(tmp_path):
    """A real installed distribution (a .dist-info with entry_points.txt) on a fresh process's path."""
    import subprocess
    import sys

    site = tmp_path / "site"
    site.mkdir()
    (site / "redisish.py").write_text(
        "from session_core.stores.sqlite import SQLiteStore\n"
        "class RedisishStore(SQLiteStore):\n"
        "    def _setup(self, path, timeout=30.0):\n"
        "        super()._setup(str(path).replace('redisish://', '') + '.db', timeout)\n"
    )
    dist = site / "redisish-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: redisish\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[session_core.stores]\nredisish = redisish:RedisishStore\n")
    code = (
        "from pathlib import Path\n"
        "from session_core.config import parse_store\n"
        f"root = Path({str(tmp_path)!r})\n"
        "by_url = parse_store('redisish://' + str(root / 'r'), None, root)\n"
        "by_name = parse_store('redisish', None, root)\n"
        "store = by_url.open('s1'); store['ok'] = 1; store.save()\n"
        "print(by_url.class_path, by_name.class_path, type(store).__name__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["redisish:RedisishStore", "redisish:RedisishStore", "RedisishStore"]
    assert (tmp_path / "r.db").is_file()


def test_a_store_spec_repr_hides_credentials():
    from session_core.registry import StoreSpec

    spec = StoreSpec("session_core.stores.json:JSONStore", "s3://AKIA:SHH@bucket/p", {"storage_options": {"secret": "SHH"}})
    assert "SHH" not in repr(spec)
    assert "bucket/p" in repr(spec)
