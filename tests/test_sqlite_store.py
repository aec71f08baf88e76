"""SQLite-specific promises; the shared contracts are in the conformance run."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time

import pytest

from session_core.errors import FormatVersionError, StoreTimeout
from session_core.stores.sqlite import SQLiteStore


def _first_use(db: str, start_at: float, worker: int) -> None:
    while time.time() < start_at:
        pass
    store = SQLiteStore(db)
    store.write(f"w{worker}", {"worker": worker})
    store.close()


def test_many_processes_opening_a_brand_new_database_at_once_all_succeed(tmp_path):
    db = str(tmp_path / "fresh" / "runs.db")
    start_at = time.time() + 1.0
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_first_use, args=(db, start_at, i)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0] * 8
    with SQLiteStore(db) as store:
        assert sorted(store.session_ids()) == sorted(f"w{i}" for i in range(8))


def test_the_database_is_in_wal_mode_and_stores_its_format_version(tmp_path):
    db = tmp_path / "runs.db"
    SQLiteStore(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT value FROM session_core_meta WHERE key='format_version'").fetchone() == ("1",)


def test_a_folder_path_holds_session_store_db_as_kedro_viz_laid_it_out(tmp_path):
    folder = tmp_path / "sessions"
    with SQLiteStore(folder, "s1") as store:
        store["a"] = 1
        store.save()
    assert (folder / "session_store.db").is_file()


def test_a_database_written_by_a_newer_version_is_refused(tmp_path):
    db = tmp_path / "runs.db"
    SQLiteStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE session_core_meta SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(FormatVersionError) as info:
        SQLiteStore(db)
    assert info.value.found == 99 and info.value.supported == 1


def test_a_lock_that_never_frees_is_a_timeout_error(tmp_path):
    db = tmp_path / "runs.db"
    SQLiteStore(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = SQLiteStore(db, timeout=0.3)
        with pytest.raises(StoreTimeout) as info:
            store.write("s", {"a": 1})
        assert str(db) in info.value.location
        assert isinstance(info.value, TimeoutError)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_listing_a_closed_store_fails_at_the_call_not_at_the_first_item(tmp_path):
    from session_core.errors import StoreClosed

    store = SQLiteStore(tmp_path / "runs.db")
    store.close()
    with pytest.raises(StoreClosed):
        store.session_ids()
    with pytest.raises(StoreClosed):
        store.iter_records()
