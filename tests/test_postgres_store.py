"""PostgresStore against a real PostgreSQL server on 127.0.0.1 (see tests/pg_server.py).

The conformance suite (tests/test_conformance_builtin.py) covers the store contracts; these
tests cover what is PostgreSQL's own: URL forms, credentials, the layout other tools query,
a dropped connection, a server that is down, several processes creating the schema at once,
and many processes saving at once.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from pathlib import Path

import pytest

from session_core.config import parse_store
from session_core.errors import ConfigError, StoreError, StoreNotFound
from session_core.stores.postgres import PostgresStore
from tests.pg_server import PASSWORD, PASSWORD_ROLE, PostgresServer
from tests.subprocesses import run_all

pytestmark = pytest.mark.postgres


def fresh_schema() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------- where the store is


def test_url_schema_and_table_options_pick_the_table_that_is_written(pg_server: PostgresServer) -> None:
    schema = fresh_schema()
    with PostgresStore(pg_server.url(), schema=schema, table="team_runs") as store:
        store.write("r1", {"status": "completed", "git": {"branch": "main"}})
    rows = pg_server.execute(f'SELECT id, status, branch FROM "{schema}".team_runs')
    assert rows == [("r1", "completed", "main")]
    assert pg_server.execute(f"SELECT value FROM \"{schema}\".team_runs_meta WHERE key = 'format_version'") == [("1",)]


def test_a_reader_finds_no_store_and_creates_no_schema(pg_server: PostgresServer, tmp_path: Path) -> None:
    """``list``/``show``/``query`` open with create=False: the database stays as it was."""
    schema = fresh_schema()
    spec = parse_store(pg_server.url(schema=schema), None, project_path=tmp_path)
    with pytest.raises(StoreNotFound):
        spec.open(create=False)
    assert pg_server.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]) == []
    spec.open().close()  # a writer creates it; then a reader opens it
    spec.open(create=False).close()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_both_url_schemes_resolve_to_the_store_with_the_schema_segment(pg_server: PostgresServer, tmp_path: Path, scheme: str) -> None:
    schema = fresh_schema()
    url = pg_server.url(schema=schema).replace("postgresql://", f"{scheme}://")
    spec = parse_store(url, None, project_path=tmp_path)
    with spec.open("s1") as store:
        store["n"] = 1
        store.save()
    assert pg_server.execute(f'SELECT id FROM "{schema}".sessions') == [("s1",)]


def test_libpq_environment_variables_alone_locate_the_store(
    pg_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = fresh_schema()
    for name, value in {"PGHOST": "127.0.0.1", "PGPORT": str(pg_server.port), "PGUSER": "session_core",
                        "PGDATABASE": "session_core"}.items():
        monkeypatch.setenv(name, value)
    with parse_store("postgres", {"schema": schema}, project_path=tmp_path).open() as store:
        store.write("env-1", {"ok": True})
        assert f"127.0.0.1:{pg_server.port}/session_core" in store.location
    with PostgresStore("host=127.0.0.1 dbname=session_core", schema=schema) as store:
        assert store.load("env-1") == {"ok": True}


def test_a_local_path_is_refused_with_the_forms_that_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        PostgresStore(str(tmp_path / "sessions"))
    assert caught.value.setting == "path"


def test_schema_given_twice_differently_is_refused(pg_server: PostgresServer) -> None:
    with pytest.raises(ConfigError) as caught:
        PostgresStore(pg_server.url(schema="one"), schema="two")
    assert caught.value.setting == "schema"


def test_records_keep_exact_types_and_text_jsonb_would_change(pg_url: str) -> None:
    record = {"big": 1e300, "one": 1.0, "nul": "a\x00b", "z": 1, "a": [10**30], "é": "ü"}
    with PostgresStore(pg_url) as store:
        store.write("exact", record)
        back = store.load("exact")
    assert back == record
    assert [type(value) for value in back.values()] == [type(value) for value in record.values()]
    assert list(back) == list(record)


# ---------------------------------------------------------------------- credentials


def test_password_in_url_option_or_environment_never_reaches_location_errors_or_logs(
    pg_server: PostgresServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    schema = fresh_schema()
    in_url = pg_server.url(PASSWORD_ROLE, password=PASSWORD, schema=schema)
    option = pg_server.url(PASSWORD_ROLE, schema=schema)
    seen: list[str] = []
    with PostgresStore(in_url) as store:
        store.write("pw-1", {"n": 1})
        seen += [store.location, repr(store), repr(parse_store(in_url, None, project_path=tmp_path))]
    with PostgresStore(option, password=PASSWORD) as store:
        assert store.load("pw-1") == {"n": 1}
        seen += [store.location, repr(parse_store(option, {"password": PASSWORD}, project_path=tmp_path))]
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with PostgresStore(option) as store:
        assert store.load("pw-1") == {"n": 1}
    for wrong_db in (in_url.replace("/session_core/", "/no_such_db/"), option.replace("/session_core/", "/no_such_db/")):
        with pytest.raises(StoreError) as caught:
            PostgresStore(wrong_db)
        seen += [str(caught.value), caught.value.location, str(caught.value.cause)]
    monkeypatch.setenv("PGPASSWORD", "wrong-" + PASSWORD)
    with pytest.raises(StoreError) as caught:
        PostgresStore(option)
    seen += [str(caught.value), str(caught.value.cause)]
    seen += [record.getMessage() for record in caplog.records]
    assert not [text for text in seen if PASSWORD in text]


def test_a_wrong_password_is_a_store_error_naming_host_and_database(pg_server: PostgresServer) -> None:
    with pytest.raises(StoreError) as caught:
        PostgresStore(pg_server.url(PASSWORD_ROLE, password="not-it", schema=fresh_schema()))
    assert f"127.0.0.1:{pg_server.port}/session_core" in caught.value.location
    assert "not-it" not in str(caught.value)


# ---------------------------------------------------------------------- outages


def test_a_server_that_is_down_is_a_store_error_naming_host_and_database() -> None:
    port = closed_port()
    with pytest.raises(StoreError) as caught:
        PostgresStore(f"postgresql://someone:pw-not-shown@127.0.0.1:{port}/team_runs", connect_timeout=5)
    assert isinstance(caught.value, OSError)
    assert f"127.0.0.1:{port}/team_runs" in caught.value.location
    assert "pw-not-shown" not in str(caught.value)


def test_a_dropped_connection_is_reconnected_once_and_the_save_lands(pg_server: PostgresServer, pg_url: str) -> None:
    with PostgresStore(pg_url) as store:
        store.write("before", {"n": 1})
        ended = pg_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'session_core'"
        )
        assert ended == [(True,)]  # the store's one connection
        store.write("after", {"n": 2})
        assert list(store.session_ids()) == ["after", "before"]


def test_saves_during_a_listing_commit_at_once(pg_server: PostgresServer, pg_url: str) -> None:
    """The listing's cursor lives on a connection of its own: writes made meanwhile are durable."""
    schema = pg_url.rsplit("/", 1)[1]
    with PostgresStore(pg_url) as store:
        store.write_many([(f"l-{n:04d}", {"n": n}) for n in range(5000)])
        listing = store.session_ids()
        assert next(listing) == "l-0000"
        store.write("l-new", {"n": -1})
        assert pg_server.execute(f"SELECT count(*) FROM \"{schema}\".sessions WHERE id = 'l-new'") == [(1,)]
        assert sum(1 for _ in listing) == 4999


def test_a_whole_listing_abandoned_early_leaves_the_store_usable(pg_url: str) -> None:
    """A whole listing streams one statement; stopping it early cancels that statement."""
    with PostgresStore(pg_url) as store:
        store.write_many([(f"a-{n:05d}", {"n": n}) for n in range(20_000)])
        for _ in range(3):
            records = store.iter_records()
            assert next(records) == ("a-00000", {"n": 0})
            records.close()
        store.write("b-after", {"n": -1})
        assert store.load("b-after") == {"n": -1}
        assert sum(1 for _ in store.session_ids()) == 20_001


# ---------------------------------------------------------------------- many processes

OPEN_FRESH = """
import sys
from session_core.stores.postgres import PostgresStore
with PostgresStore(sys.argv[1]) as store:
    store.write(sys.argv[2], {"opened": True})
    print(store.format_version())
"""

SAVE_MANY = """
import sys
from session_core.stores.postgres import PostgresStore
url, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors = 0
for n in range(count):
    try:
        with PostgresStore(url, f"w{writer}-{n:04d}") as store:
            store.update({"writer": writer, "n": n, "payload": "x" * 512})
            store.save()
    except Exception as exc:
        errors += 1
        print(repr(exc), file=sys.stderr)
print(errors)
"""


def test_four_processes_opening_a_fresh_database_at_once_all_succeed(pg_url: str) -> None:
    outputs = run_all(OPEN_FRESH, [[pg_url, f"opener-{n}"] for n in range(4)])
    assert [out.strip() for out in outputs] == ["1"] * 4
    with PostgresStore(pg_url) as store:
        assert list(store.session_ids()) == [f"opener-{n}" for n in range(4)]


@pytest.mark.slow
def test_eight_processes_times_500_saves_lose_nothing(pg_url: str) -> None:
    outputs = run_all(SAVE_MANY, [[pg_url, str(writer), "500"] for writer in range(8)])
    assert [int(out.strip()) for out in outputs] == [0] * 8
    with PostgresStore(pg_url) as store:
        records = dict(store.iter_records())
    assert len(records) == 4000
    assert all(records[f"w{w}-{n:04d}"]["n"] == n for w in range(8) for n in range(500))


def test_list_output_shows_no_password(pg_server: PostgresServer, tmp_path: Path) -> None:
    import subprocess
    import sys

    url = pg_server.url(PASSWORD_ROLE, password=PASSWORD, schema=fresh_schema())
    record = {"session_id": "listed-1", "status": "completed", "started_at": "2026-01-01T00:00:00+00:00"}
    with PostgresStore(url) as store:
        store.write("listed-1", record)
    outputs = []
    for extra in ([], ["--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "session_core", "list", "--store", url, *extra],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout + done.stderr)
    assert "listed-1" in outputs[0]
    assert [json.loads(line) for line in outputs[1].splitlines() if line.startswith("{")] == [record]
    assert not [out for out in outputs if PASSWORD in out]


def test_a_malformed_url_is_refused_without_quoting_its_password() -> None:
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://someone:pw-not-shown@127.0.0.1:5432/db?no_such_option=1")
    assert "pw-not-shown" not in str(caught.value) + str(caught.value.cause)
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://someone:pw not shown@127.0.0.1:5432/db")
    assert "pw not shown" not in str(caught.value) + str(caught.value.cause)


def test_a_batch_meeting_stored_ids_replaces_them_and_adds_the_new_ones(pg_url: str) -> None:
    with PostgresStore(pg_url) as store:
        assert store.write_many([("b1", {"v": 1}), ("b2", {"v": 1})]) == 2
        assert store.write_many([("b0", {"v": 2}), ("b2", {"v": 2}), ("b0", {"v": 3})]) == 3
        assert dict(store.iter_records()) == {"b0": {"v": 3}, "b1": {"v": 1}, "b2": {"v": 2}}
