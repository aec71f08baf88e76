"""``migrate`` between backends: SQLite into DuckDB, a JSON folder and S3 (moto's real server).

The slow tests are the issue's done-criteria at 10,000 sessions. The S3 leg uses fewer
sessions (S3_N): moto's single-threaded server handles a few hundred requests a second, and a
verified copy costs a PUT and a GET per session, so 10,000 would take minutes while proving
nothing the smaller run does not.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from session_core.errors import CorruptRecord
from session_core.stores.json import JSONStore
from session_core.stores.sqlite import SQLiteStore
from tests.s3_server import FAKE_SECRET
from tests.test_migrate import all_records, file_digest, fill_sqlite, run_migrate, url

N = 10_000
S3_N = 1_000


def assert_complete_copy(code: int, summary: dict[str, Any], n: int) -> None:
    assert code == 0
    assert (summary["copied"], summary["verified"], summary["failed"], summary["conflicts"]) == (n, n, 0, 0)


@pytest.fixture(scope="module")
def big_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 sessions in SQLite, shared by the slow legs (each only reads it)."""
    return fill_sqlite(tmp_path_factory.mktemp("src") / "src.db", N)


# ---------------------------------------------------------------------- DuckDB


@pytest.mark.slow
def test_ten_thousand_sessions_sqlite_to_duckdb_verified_then_all_present(big_src: Path, tmp_path: Path, capsys):
    dst = tmp_path / "dst.duckdb"
    before = file_digest(big_src)
    assert_complete_copy(*run_migrate(url("sqlite", big_src), url("duckdb", dst), "--verify", capsys=capsys)[:2], N)
    code, summary, _ = run_migrate(url("sqlite", big_src), url("duckdb", dst), capsys=capsys)
    assert (code, summary["copied"], summary["already_present"]) == (0, 0, N)
    assert file_digest(big_src) == before


def test_duckdb_round_trip_keeps_every_record(tmp_path: Path, capsys):
    src = fill_sqlite(tmp_path / "src.db", 120)
    run_migrate(url("sqlite", src), url("duckdb", tmp_path / "mid.duckdb"), capsys=capsys)
    code, summary, _ = run_migrate(url("duckdb", tmp_path / "mid.duckdb"), url("sqlite", tmp_path / "back.db"),
                                   "--verify", capsys=capsys)
    assert_complete_copy(code, summary, 120)
    with SQLiteStore(src) as a, SQLiteStore(tmp_path / "back.db") as b:
        assert all_records(a) == all_records(b)


# ---------------------------------------------------------------------- JSON folder


@pytest.mark.slow
def test_ten_thousand_sessions_sqlite_to_json_folder_verified_then_all_present(big_src: Path, tmp_path: Path, capsys):
    dst = tmp_path / "json-store"
    assert_complete_copy(*run_migrate(url("sqlite", big_src), f"file://{dst}", "--verify", capsys=capsys)[:2], N)
    code, summary, _ = run_migrate(url("sqlite", big_src), f"file://{dst}", capsys=capsys)
    assert (code, summary["copied"], summary["already_present"]) == (0, 0, N)


def test_garbage_file_in_a_json_store_fails_alone_and_the_folder_is_untouched(tmp_path: Path, capsys):
    src_sqlite = fill_sqlite(tmp_path / "src.db", 30)
    folder = tmp_path / "json-store"
    run_migrate(url("sqlite", src_sqlite), f"file://{folder}", capsys=capsys)
    with JSONStore(str(folder)) as store:
        bad = sorted(store.session_ids())[12]
    (folder / "sessions" / bad).write_text("\x00garbage{{ not json")
    with JSONStore(str(folder)) as store, pytest.raises(CorruptRecord) as info:
        store.load(bad)
    assert info.value.session_id == bad
    before = file_digest(folder)
    code, summary, err = run_migrate(f"file://{folder}", url("sqlite", tmp_path / "dst.db"), capsys=capsys)
    assert code == 3  # some records failed, the others were copied
    assert (summary["copied"], summary["failed"]) == (29, 1)
    assert bad in err
    assert file_digest(folder) == before


# ---------------------------------------------------------------------- S3 (moto)


def s3_args(bucket: str, storage_options: dict[str, Any]) -> list[str]:
    return [f"s3://{bucket}/runs", "--dst-arg", f"storage_options={json.dumps(storage_options)}"]


@pytest.mark.slow
def test_sqlite_to_s3_verified_then_all_present(tmp_path: Path, s3_bucket: str, s3_storage_options, capsys):
    src = fill_sqlite(tmp_path / "src.db", S3_N)
    code, summary, err = run_migrate(url("sqlite", src), *s3_args(s3_bucket, s3_storage_options), "--verify",
                                     capsys=capsys)
    assert_complete_copy(code, summary, S3_N)
    assert FAKE_SECRET not in json.dumps(summary) + err
    code, summary, _ = run_migrate(url("sqlite", src), *s3_args(s3_bucket, s3_storage_options), capsys=capsys)
    assert (code, summary["copied"], summary["already_present"]) == (0, 0, S3_N)


def test_missing_s3_bucket_as_destination_fails_naming_it(tmp_path: Path, s3_storage_options, capsys):
    src = fill_sqlite(tmp_path / "src.db", 5)
    code, _, err = run_migrate(url("sqlite", src), *s3_args("no-such-bucket-here", s3_storage_options),
                               capsys=capsys)
    assert code == 1
    assert "no-such-bucket-here" in err
    assert FAKE_SECRET not in err


# ---------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_sqlite_to_postgres_and_back_keeps_every_record(tmp_path: Path, pg_url: str, capsys):
    src = fill_sqlite(tmp_path / "src.db", 300)
    code, summary, err = run_migrate(url("sqlite", src), pg_url, "--verify", capsys=capsys)
    assert_complete_copy(code, summary, 300)
    code, summary, _ = run_migrate(url("sqlite", src), pg_url, capsys=capsys)
    assert (code, summary["copied"], summary["already_present"]) == (0, 0, 300)
    code, summary, _ = run_migrate(pg_url, url("sqlite", tmp_path / "back.db"), "--verify", capsys=capsys)
    assert_complete_copy(code, summary, 300)
    with SQLiteStore(src) as a, SQLiteStore(tmp_path / "back.db") as b:
        assert all_records(a) == all_records(b)


@pytest.mark.postgres
def test_migrate_into_postgres_with_a_password_never_prints_it(tmp_path: Path, pg_server, capsys):
    from tests.pg_server import PASSWORD, PASSWORD_ROLE

    src = fill_sqlite(tmp_path / "src.db", 20)
    dst = pg_server.url(PASSWORD_ROLE, password=PASSWORD, schema=f"t_{uuid.uuid4().hex[:16]}")
    code, summary, err = run_migrate(url("sqlite", src), dst, "--verify", capsys=capsys)
    assert_complete_copy(code, summary, 20)
    assert PASSWORD not in json.dumps(summary) + err
