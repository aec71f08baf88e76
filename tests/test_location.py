"""One location syntax: how every URL form and plain path is read, and the errors that say so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from session_core.config import ENV_STORE, ENV_STORE_ARGS, parse_store, resolve_store
from session_core.errors import ConfigError, StoreError, StoreNotFound
from session_core.location import find_project_root, identity
from session_core.migrate.endpoints import parse_endpoint, same_store
from session_core.stores.duckdb import DuckDBStore
from session_core.stores.sqlite import SQLiteStore
from tests.git_repos import make_repo

SQLITE = "session_core.stores.sqlite:SQLiteStore"
JSON = "session_core.stores.json:JSONStore"
SECRET = "pw-3f9a1c"


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---------------------------------------------------------------------- the forms


@pytest.mark.parametrize(
    ("value", "class_path", "path"),
    [
        ("sqlite:///runs.db", SQLITE, "{root}/runs.db"),
        ("sqlite:////srv/runs.db", SQLITE, "/srv/runs.db"),
        ("json:///runs", JSON, "{root}/runs"),
        ("json:////srv/runs", JSON, "/srv/runs"),
        ("file:///srv/runs", JSON, "/srv/runs"),
        ("file://localhost/srv/runs", JSON, "/srv/runs"),
        ("file:/srv/runs", JSON, "/srv/runs"),
        ("file:///srv/my%20runs", JSON, "/srv/my runs"),
        ("sqlite:///my%20runs.db", SQLITE, "{root}/my runs.db"),
        ("runs.db", SQLITE, "{root}/runs.db"),
        ("./hist/runs.sqlite3", SQLITE, "{root}/hist/runs.sqlite3"),
        ("/srv/runs.db", SQLITE, "/srv/runs.db"),
    ],
)
def test_every_form_reads_to_one_path(project: Path, value: str, class_path: str, path: str) -> None:
    spec = parse_store(value, None, project)
    assert (spec.class_path, spec.path) == (class_path, path.format(root=project))


def test_a_path_option_follows_the_same_rules(project: Path) -> None:
    assert parse_store("sqlite", {"path": "h/r.db"}, project).path == str(project / "h" / "r.db")
    assert parse_store("json", {"path": "file:///srv/x"}, project).path == "/srv/x"
    assert parse_store("json", {"path": "s3://b/p"}, project).path == "s3://b/p"


def test_parsing_any_setting_creates_nothing(project: Path) -> None:
    for value in ("sqlite", "duckdb", "shelve", "json", "sqlite:///a/b.db", "shelve:///s", "json:///j", "c/d.duckdb"):
        parse_store(value, None, project)
        resolve_store(value, None, project)
    assert tree(project) == []


# ---------------------------------------------------------------------- query strings


def test_a_query_string_holds_store_options_not_part_of_the_file_name(project: Path) -> None:
    spec = parse_store("sqlite:///runs.db?timeout=5", None, project)
    assert spec.path == str(project / "runs.db")
    assert spec.options == {"timeout": 5}


def test_an_unknown_query_option_is_refused_before_anything_is_created(project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_store("sqlite:///runs.db?colour=red", None, project).open()
    assert caught.value.value == ["colour"]
    assert tree(project) == []


@pytest.mark.parametrize("value", ["sqlite:///runs.db?timeout", "sqlite:///r.db?timeout=1&timeout=2", "sqlite:///r#1.db"])
def test_a_malformed_query_or_fragment_is_a_config_error(project: Path, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_store(value, None, project, setting="--store")
    assert caught.value.setting == "--store"


def test_an_option_given_in_the_url_and_as_an_argument_is_refused(project: Path) -> None:
    with pytest.raises(ConfigError):
        parse_store("sqlite:///runs.db?timeout=5", {"timeout": 6}, project)


# ---------------------------------------------------------------------- credentials


@pytest.mark.parametrize(
    "value",
    [f"file://u:{SECRET}@localhost/p", f"sqlite://u:{SECRET}@host/x.db", f"gs://u:{SECRET}@bucket/p",
     f"postgresq://u:{SECRET}@db.example/runs"],
)
def test_credentials_in_a_url_never_reach_the_error_or_a_path(project: Path, value: str, monkeypatch) -> None:
    monkeypatch.chdir(project)
    with pytest.raises(ConfigError) as caught:
        resolve_store(value, None, project)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value.value)
    assert tree(project) == []


def test_s3_credentials_in_the_url_become_storage_options(project: Path) -> None:
    spec = parse_store(f"s3://AKIAKEY:{SECRET}@bucket/runs", None, project)
    assert spec.path == "s3://bucket/runs"
    assert spec.options == {"storage_options": {"key": "AKIAKEY", "secret": SECRET}}
    assert SECRET not in repr(spec)


def test_a_file_url_on_another_host_is_refused(project: Path) -> None:
    with pytest.raises(ConfigError):
        parse_store("file://fileserver/share/runs", None, project)


# ---------------------------------------------------------------------- errors that name the problem


def test_s3_without_a_bucket_says_so(project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_store("s3://", None, project)
    assert "bucket" in caught.value.reason


@pytest.mark.parametrize(("value", "meant"), [("sqlit", "sqlite"), ("sqlit:///r.db", "sqlite"), ("duckbd", "duckdb")])
def test_a_typo_suggests_the_closest_name(project: Path, value: str, meant: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_store(value, None, project)
    assert f"did you mean {meant}" in caught.value.reason.replace("'", "")


def test_the_accepted_forms_are_listed_only_when_the_form_was_wrong(project: Path) -> None:
    with pytest.raises(ConfigError) as wrong_form:
        parse_store("two words", None, project)
    with pytest.raises(ConfigError) as wrong_option:
        resolve_store("sqlite", {"timeot": 5}, project).open()
    assert ConfigError.ACCEPTED_FORMS in str(wrong_form.value)
    assert ConfigError.ACCEPTED_FORMS not in str(wrong_option.value)
    assert "timeout" in wrong_option.value.reason  # the suggestion
    assert str(wrong_option.value).count("timeot") == 1  # named once


@pytest.mark.parametrize(
    ("store", "options", "named"),
    [("sqlite", {"timeout": "abc"}, "timeout="), ("sqlite", {"timeout": -1}, "timeout="),
     ("duckdb", {"timeout": True}, "timeout="), ("json", {"storage_options": "notjson"}, "storage_options="),
     ("json", {"temp_max_age": float("nan")}, "temp_max_age=")],
)
def test_option_values_are_checked_and_named(project: Path, store: str, options: dict, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_store(store, options, project).open()
    assert caught.value.setting == "store options"
    assert caught.value.value.startswith(named)
    assert tree(project) == []


def test_a_path_under_a_regular_file_says_so(project: Path) -> None:
    (project / "notes.txt").write_text("a file")
    spec = parse_store("sqlite:///notes.txt/runs.db", None, project)
    with pytest.raises(StoreError) as caught:
        spec.open()
    assert isinstance(caught.value.cause, NotADirectoryError)
    assert caught.value.cause.filename == str(project / "notes.txt")
    with pytest.raises(StoreNotFound) as missing:
        spec.open(create=False)
    assert "regular file" in missing.value.reading


def test_store_args_without_a_store_in_the_environment_are_refused(project: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_STORE_ARGS, '{"timeout": 5}')
    with pytest.raises(ConfigError) as caught:
        resolve_store(project_path=project)
    assert caught.value.setting == ENV_STORE_ARGS


def test_unknown_keys_in_the_environment_store_args_are_refused(project: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_STORE, "sqlite")
    monkeypatch.setenv(ENV_STORE_ARGS, '{"timout": 5}')
    with pytest.raises(ConfigError) as caught:
        resolve_store(project_path=project).open()
    assert caught.value.value == ["timout"]


# ---------------------------------------------------------------------- reading never creates


def test_a_missing_store_says_how_its_url_was_read_and_what_was_meant(project: Path, tmp_path: Path) -> None:
    absolute = tmp_path / "elsewhere" / "x.db"
    SQLiteStore(str(absolute)).close()
    relative_reading = f"sqlite:///{str(absolute).lstrip('/')}"
    spec = parse_store(relative_reading, None, project)
    with pytest.raises(StoreNotFound) as caught:
        spec.open(create=False)
    assert str(project) in caught.value.reading
    assert caught.value.suggestions[0] == f"sqlite:///{absolute}"
    assert tree(project) == []


def test_a_near_miss_file_name_is_suggested(project: Path) -> None:
    SQLiteStore(str(project / "runs.db")).close()
    with pytest.raises(StoreNotFound) as caught:
        parse_store("sqlite:///rusn.db", None, project).open(create=False)
    assert str(project / "runs.db") in caught.value.suggestions


def test_reading_an_empty_folder_store_creates_nothing(project: Path) -> None:
    (project / "hist").mkdir()
    for value in ("json:///hist", "shelve:///hist", "sqlite:///hist", "duckdb:///hist"):
        with pytest.raises(StoreNotFound):
            parse_store(value, None, project).open(create=False)
    assert tree(project) == ["hist"]


# ---------------------------------------------------------------------- one store, two spellings


def test_one_store_spelled_two_ways_is_the_same_store(project: Path, tmp_path: Path) -> None:
    (project / "sub").mkdir()
    os.symlink(project, tmp_path / "link")
    spellings = [
        "sqlite:///runs.db",
        f"sqlite:///{project}/runs.db",  # four slashes: absolute
        "sqlite:///sub/../runs.db",
        f"sqlite:///{tmp_path}/link/runs.db",  # through a symlink
        "runs.db",
    ]
    specs = [parse_endpoint(s, None, project, "SRC", source=True) for s in spellings]
    assert all(same_store(specs[0], other) for other in specs[1:])
    folder_form = parse_store("sqlite", {"path": "."}, project)  # <project>/session_store.db
    assert not same_store(specs[0], folder_form)
    assert identity(SQLiteStore, str(project / "runs.db")) == identity(DuckDBStore, str(project / "runs.db"))
    assert same_store(parse_store("s3://b/p/", None, project), parse_store("s3://b/./p", None, project))
    assert not same_store(parse_store("s3://b/p", None, project), parse_store("s3://b/q", None, project))


# ---------------------------------------------------------------------- the project folder


def test_without_a_pyproject_the_project_is_the_git_top_level(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sub = repo / "analysis" / "notebooks"
    sub.mkdir(parents=True)
    assert find_project_root(sub) == repo
    (repo / "analysis" / "pyproject.toml").write_text("[project]\nname='a'\n")
    assert find_project_root(sub) == repo / "analysis"
    outside = tmp_path / "loose"
    outside.mkdir()
    assert find_project_root(outside) == outside


@pytest.mark.s3
def test_s3_credentials_in_the_url_work_and_never_reach_errors_logs_or_the_spool(
    s3_server, s3_bucket: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from session_core.session import Session
    from tests.s3_server import REGION

    endpoint = {"storage_options": {"endpoint_url": s3_server.endpoint_url, "client_kwargs": {"region_name": REGION}}}
    spec = resolve_store(f"s3://AKIATESTKEY:{SECRET}@{s3_bucket}/runs", endpoint, tmp_path)
    with spec.open("s1") as store:
        store["x"] = 1
        store.save()
    with spec.open() as store:
        assert store.load("s1") == {"x": 1}
    missing = resolve_store(f"s3://AKIATESTKEY:{SECRET}@no-such-bucket-{s3_bucket}/runs", endpoint, tmp_path)
    with caplog.at_level("DEBUG"):
        Session.create(tmp_path, store=missing, spool_dir=tmp_path / "spool", git=False).close()
    spooled = "".join(file.read_text() for file in (tmp_path / "spool").iterdir())
    assert "no-such-bucket" in spooled and SECRET not in spooled
    assert "no-such-bucket" in caplog.text and SECRET not in caplog.text
