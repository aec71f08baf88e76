"""DuckDBStore: DuckDB's one-writer file lock never reaches the user, except as a clear timeout.

The generic contract is pinned by the conformance suite; these tests cover what is particular
to DuckDB: many processes on one file, a lock held by a foreign process, the format version in
the meta table, upserts, and listing that never holds the lock between pages.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from session_core.conditions import Condition
from session_core.errors import FormatVersionError, StoreError, StoreTimeout
from session_core.stores import duckdb as duckdb_store
from session_core.stores.duckdb import DEFAULT_FILENAME, ID_PAGE, WAL_CHECKPOINT_BYTES, DuckDBStore
from tests.subprocesses import finish, holding, run_all, start

_WRITER = """
import sys
from session_core.stores.duckdb import DuckDBStore
path, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = DuckDBStore(path)
for i in range(count):
    store.write(f"w{writer}-{i:04d}", {"writer": writer, "i": i, "note": "é" * (i % 5)})
"""


def _expected(writers: int, count: int) -> dict[str, dict[str, object]]:
    return {
        f"w{w}-{i:04d}": {"writer": str(w), "i": i, "note": "é" * (i % 5)}
        for w in range(writers)
        for i in range(count)
    }


@pytest.mark.slow
def test_eight_processes_saving_500_sessions_each_give_4000_intact_records(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    run_all(_WRITER, [[str(db), str(w), "500"] for w in range(8)])

    records = dict(DuckDBStore(db).iter_records())
    assert len(records) == 4000
    assert records == _expected(8, 500)


def test_two_processes_saving_at_once_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    run_all(_WRITER, [[str(db), str(w), "30"] for w in range(2)])

    assert dict(DuckDBStore(db).iter_records()) == _expected(2, 30)


@pytest.mark.parametrize("shared_instance", [True, False], ids=["one instance", "one per thread"])
def test_threads_saving_at_once_all_succeed(tmp_path: Path, shared_instance: bool) -> None:
    db = tmp_path / "runs.duckdb"
    shared = DuckDBStore(db)

    def save(writer: int) -> None:
        store = shared if shared_instance else DuckDBStore(db)
        for i in range(20):
            store.write(f"w{writer}-{i:04d}", {"writer": str(writer), "i": i, "note": "é" * (i % 5)})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(save, range(4)))

    assert dict(shared.iter_records()) == _expected(4, 20)


def test_a_connection_held_in_this_process_raises_store_timeout_not_damage(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    store = DuckDBStore(db, timeout=0.3)
    store.write("s1", {"n": 1})
    with duckdb.connect(str(db)) as held:
        with pytest.raises(StoreTimeout):
            store.write("s2", {})
        assert held.execute("SELECT id FROM sessions").fetchall() == [("s1",)]
    assert list(store.session_ids()) == ["s1"]


_HOLD_WRITE_LOCK = """
import sys, duckdb
conn = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
conn.close()
"""


def test_a_lock_that_never_frees_raises_store_timeout(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    store = DuckDBStore(db, timeout=0.5)
    store.write("s1", {"n": 1})
    with holding(_HOLD_WRITE_LOCK, str(db)):
        for operation in (lambda: store.write("s2", {}), lambda: store.load("s1"), lambda: list(store.session_ids())):
            with pytest.raises(StoreTimeout) as info:
                operation()
            assert isinstance(info.value, TimeoutError)
            assert str(db) in info.value.location
    assert store.load("s1") == {"n": 1}


_HOLD_BRIEFLY = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
conn.execute("INSERT OR REPLACE INTO sessions VALUES ('late', ?)", ['{"by": "holder"}'])
print("ready", flush=True)
time.sleep(0.7)
conn.close()
"""


def test_reads_and_listing_wait_for_another_process_writing(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    store = DuckDBStore(db, timeout=60)
    store.write("early", {"n": 1})
    reads = ((lambda: store.load("early"), {"n": 1}), (lambda: list(store.session_ids()), ["early", "late"]))
    for read, expected in reads:
        holder = start(_HOLD_BRIEFLY, str(db))
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = read()  # the holder keeps the file locked for a while after "ready"
        finish(holder)
        assert result == expected
    assert store.load("late") == {"by": "holder"}


def test_listing_holds_no_lock_between_pages(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    store = DuckDBStore(db)
    ids = [f"s{i:05d}" for i in range(ID_PAGE + 10)]
    store.write_many((sid, {}) for sid in ids)
    listing = store.session_ids()
    first = next(listing)  # the first page is read; its connection is closed again

    finish(start(_WRITER.replace("DuckDBStore(path)", "DuckDBStore(path, timeout=5)"), str(db), "x", "1"))

    assert [first, *listing] == [*ids, "wx-0000"]


def test_records_stream_in_growing_pages_that_let_writers_in_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duckdb_store, "RECORD_PAGE", 3)  # pages of 3, 6, 12, 12, ... records
    monkeypatch.setattr(duckdb_store, "RECORD_PAGE_MAX", 12)
    db = tmp_path / "runs.duckdb"
    store = DuckDBStore(db)
    store.write_many((f"s{i:02d}", {"i": i}) for i in range(40))
    records = store.iter_records()
    first = next(records)  # the first page is read and the file let go

    finish(start(_WRITER, str(db), "x", "1"))  # saves "wx-0000", beyond every page read so far

    streamed = [first, *records]
    assert [sid for sid, _ in streamed] == [*(f"s{i:02d}" for i in range(40)), "wx-0000"]  # each once
    assert dict(streamed) == {**{f"s{i:02d}": {"i": i} for i in range(40)},
                              "wx-0000": {"writer": "x", "i": 0, "note": ""}}


def test_filtered_reads_go_by_id_ranges_both_ways_each_match_once_and_let_writers_in_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tiny pages: ranges of 3, 6, 12 matches; newest first, keyset pages of 2 and 3 rows, then ranges
    monkeypatch.setattr(duckdb_store, "RECORD_PAGE", 3)
    monkeypatch.setattr(duckdb_store, "RECORD_PAGE_MAX", 12)
    monkeypatch.setattr(duckdb_store, "FIRST_RECORD_PAGE", 2)
    monkeypatch.setattr(duckdb_store, "NEWEST_PAGE_MAX", 3)
    store = DuckDBStore(tmp_path / "runs.duckdb")
    store.write_many((f"s{i:02d}", {"i": i, "even": i % 2 == 0}) for i in range(60))
    even = [Condition(("even",), "eq", "true")]
    evens = [f"s{i:02d}" for i in range(0, 60, 2)]

    oldest_first = store.iter_matching(even, newest_first=False)
    first = next(oldest_first)
    store.write("s99", {"even": True})  # beyond every range read so far: read when its range comes
    store.write("r00", {"even": True})  # before them: not read
    assert [first[0], *(sid for sid, _ in oldest_first)] == [*evens, "s99"]

    newest_first = store.iter_matching(even, newest_first=True)
    first = next(newest_first)
    store.write("q00", {"even": True})  # below every id: read at the end
    store.write("s98", {"even": False})  # does not match
    assert [first[0], *(sid for sid, _ in newest_first)] == ["s99", *reversed(evens), "r00", "q00"]


def test_the_format_version_lives_in_the_meta_table(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    assert DuckDBStore(db).format_version() == DuckDBStore.FORMAT_VERSION
    with duckdb.connect(str(db)) as conn:
        stored = conn.execute("SELECT value FROM session_core_meta WHERE key = 'format_version'").fetchone()
        assert stored == (str(DuckDBStore.FORMAT_VERSION),)
        conn.execute("UPDATE session_core_meta SET value = '2' WHERE key = 'format_version'")

    with pytest.raises(FormatVersionError) as info:
        DuckDBStore(db)
    assert (info.value.found, info.value.supported) == (2, DuckDBStore.FORMAT_VERSION)


def test_rewriting_an_id_replaces_its_row_also_within_one_batch(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "runs.duckdb")
    store.write("s1", {"v": 1})
    store.write("s1", {"v": 2})
    store.write_many([("s2", {"v": 1}), ("s1", {"v": 3}), ("s2", {"v": 2})])

    assert dict(store.iter_records()) == {"s1": {"v": 3}, "s2": {"v": 2}}


def test_a_file_that_is_not_duckdb_fails_at_once_with_store_error(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    db.write_bytes(b"not a database" * 500)

    with pytest.raises(StoreError) as info:
        DuckDBStore(db, timeout=600)
    assert not isinstance(info.value, StoreTimeout)
    assert isinstance(info.value.cause, duckdb.Error)


def test_a_folder_path_holds_the_default_file_and_a_duckdb_path_is_the_file(tmp_path: Path) -> None:
    DuckDBStore(tmp_path / "folder").write("s1", {})
    DuckDBStore(tmp_path / "named.duckdb").write("s1", {})

    assert (tmp_path / "folder" / DEFAULT_FILENAME).is_file()
    assert (tmp_path / "named.duckdb").is_file()



def test_newest_first_is_right_whatever_order_the_rows_were_written_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the first newest-first page is looked for in the file's last BATCH_SIZE rows: make that
    # window small, and put the newest ids outside it, written first
    monkeypatch.setattr(DuckDBStore, "BATCH_SIZE", 6)
    monkeypatch.setattr(duckdb_store, "FIRST_RECORD_PAGE", 3)

    def record(i: int) -> dict[str, object]:  # "old": the first 30 and s31, one row of the window
        return {"i": i, "even": i % 2 == 0, "old": i < 30 or i == 31}

    store = DuckDBStore(tmp_path / "runs.duckdb")
    store.write_many((f"s{i:02d}", record(i)) for i in (38, 39, 36, 37))
    for i in range(30):  # older sessions, written one by one after the newest
        store.write(f"s{i:02d}", record(i))
    store.write_many((f"s{i:02d}", record(i)) for i in (34, 31, 35, 30, 33, 32))
    store.delete("s35")
    store.write("s39", record(39))

    def newest(*conditions: Condition) -> list[str]:
        return [sid for sid, _ in store.iter_matching(conditions, newest_first=True)]

    expected = sorted((f"s{i:02d}" for i in [*range(35), *range(36, 40)]), reverse=True)
    assert newest() == expected
    assert newest(Condition(("even",), "eq", "true")) == [sid for sid in expected if int(sid[1:]) % 2 == 0]
    assert newest(Condition(("old",), "eq", "true")) == [sid for sid in expected if sid < "s30" or sid == "s31"]


def test_the_write_ahead_log_is_checkpointed_once_it_outgrows_its_limit(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    wal = db.with_name(db.name + ".wal")
    store = DuckDBStore(db)
    sizes = []
    for i in range(60):
        store.write(f"s{i:02d}", {"i": i, "pad": "x" * 500})
        sizes.append(wal.stat().st_size if wal.exists() else 0)

    assert max(sizes) <= WAL_CHECKPOINT_BYTES + 1024  # the limit and the save that passed it
    assert 0 < sizes[0] < WAL_CHECKPOINT_BYTES  # a lone save stays in the log
    assert len(dict(DuckDBStore(db).iter_records())) == 60


def test_a_torn_end_of_the_write_ahead_log_loses_only_the_save_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    wal = db.with_name(db.name + ".wal")
    store = DuckDBStore(db)
    for i in range(3):
        store.write(f"a{i}", {"i": i})
    acknowledged = wal.stat().st_size
    store.write("in-flight", {"pad": "y" * 300})
    database, log = db.read_bytes(), wal.read_bytes()

    for cut in range(acknowledged + 1, len(log), max(1, (len(log) - acknowledged) // 8)):
        copy = tmp_path / f"cut-{cut}" / "runs.duckdb"
        copy.parent.mkdir()
        copy.write_bytes(database)
        copy.with_name(copy.name + ".wal").write_bytes(log[:cut])  # as a writer killed mid-append left it
        DuckDBStore(copy).write("after", {"ok": True})

        assert dict(DuckDBStore(copy).iter_records()) == {
            **{f"a{i}": {"i": i} for i in range(3)}, "after": {"ok": True}
        }, f"log cut at byte {cut} of {len(log)}"


def test_a_closed_writer_leaves_every_record_in_the_file_and_a_reader_leaves_the_log_alone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "runs.duckdb"
    wal = db.with_name(db.name + ".wal")
    writer = DuckDBStore(db)
    writer.write("s1", {"n": 1})
    writer.write("s2", {"n": 2})
    log, database = wal.read_bytes(), db.read_bytes()

    with DuckDBStore(db) as reader:
        assert dict(reader.iter_records()) == {"s1": {"n": 1}, "s2": {"n": 2}}
    assert (wal.read_bytes(), db.read_bytes()) == (log, database)  # reading never writes

    writer.close()
    copy = tmp_path / "copy" / "runs.duckdb"
    copy.parent.mkdir()
    copy.write_bytes(db.read_bytes())  # the file alone, as a user copies it
    assert dict(DuckDBStore(copy).iter_records()) == {"s1": {"n": 1}, "s2": {"n": 2}}
