"""Compaction of the JSON store: segments change no read, survive races and kill -9, cut GETs.

Every read path is compared with what it returned before compaction (or with a plain read of
every per-session object), on a real local folder and on S3 through moto's server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from session_core.errors import NotSupported, SessionNotFound
from session_core.stores.json import JSONStore, MemoryJSONStore
from tests import subprocesses
from tests.s3_server import S3Server


def _record(number: int, status: str = "completed") -> dict[str, Any]:
    return {"status": status, "n": number, "note": f"line one\nline two {number}", "params": {"k": [1, 2.5, None]}}


def _fill(store: JSONStore, count: int) -> None:
    store.write_many((f"s{i:05d}", _record(i, "running" if i % 7 == 0 else "completed")) for i in range(count))


def _everything(store: JSONStore) -> dict[str, Any]:
    """What every read path returns: ids, records, loads, and the Kedro face's read()."""
    ids = list(store.session_ids())
    return {
        "ids": ids,
        "records": list(store.iter_records()),
        "loads": [store.load(session_id) for session_id in ids],
        "kedro": [JSONStore(store.path, session_id=session_id).read() for session_id in ids[:5]],
    }


def _plain(folder: Path) -> dict[str, Any]:
    """Every per-session object read directly: the truth compaction must not change."""
    return {path.name: json.loads(path.read_bytes()) for path in sorted((folder / "sessions").iterdir())}


def test_compaction_changes_no_read_path(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 250)
    before = _everything(store)

    done = store.compact()

    assert (done.folded, done.skipped, done.already, done.segments) == (250 - 36, 36, 0, 1)
    assert _everything(store) == before
    again = store.compact()
    assert (again.folded, again.already, again.segments) == (0, 250 - 36, 0)


def test_a_session_saved_again_after_compaction_wins_and_a_deleted_one_is_gone(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 30)
    store.compact()

    store.write("s00001", {"status": "failed", "n": "again"})
    store.delete("s00002")
    store.write("s00100", _record(100))

    records = dict(store.iter_records())
    assert records["s00001"] == {"status": "failed", "n": "again"}
    assert "s00002" not in records and "s00100" in records
    assert list(records) == list(store.session_ids()) == sorted(_plain(tmp_path))
    assert records == _plain(tmp_path)
    with pytest.raises(SessionNotFound):
        store.load("s00002")


def test_the_same_content_saved_again_keeps_reading_right(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    store.write("a", _record(1))
    store.compact()
    store.write("a", _record(2))
    store.write("a", _record(1))

    assert dict(store.iter_records()) == {"a": _record(1)}


def test_an_unusable_or_vanished_segment_only_slows_reads(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 40)
    store.compact()
    expected = _plain(tmp_path)
    segment = next((tmp_path / "segments").iterdir())
    segment.write_bytes(b"not a segment\n")
    (tmp_path / "segments" / "a~z~0123456789abcdef.ndjson").write_bytes(b"")  # a foreign-looking empty one

    assert dict(store.iter_records()) == expected
    segment.unlink()
    assert dict(store.iter_records()) == expected


def test_a_foreign_line_in_a_segment_costs_only_its_own_session_a_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 40)
    store.compact()
    expected = _plain(tmp_path)
    segment = next((tmp_path / "segments").iterdir())
    lines = segment.read_bytes().split(b"\n")
    lines[3] = b"not a segment line"
    lines[5] = lines[5].replace(b'"tag":"', b'"tag":"0', 1)  # a version never listed
    segment.write_bytes(b"\n".join(lines))

    with caplog.at_level("WARNING", logger="session_core.stores._segments"):
        assert dict(store.iter_records()) == expected
    assert segment.name in caplog.text and "1 lines are not segment lines" in caplog.text


def test_a_compaction_holding_few_listed_names_at_once_folds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import session_core.stores.json as json_store

    monkeypatch.setattr(json_store, "LISTING_HELD", 7)
    store = JSONStore(tmp_path)
    _fill(store, 250)
    before = _everything(store)

    done = store.compact()

    assert (done.folded, done.skipped, done.segments) == (250 - 36, 36, 1)
    assert _everything(store) == before
    assert store.compact().already == 250 - 36


def test_memory_store_refuses_compaction_naming_the_feature() -> None:
    store = MemoryJSONStore("compaction-refused")
    with pytest.raises(NotSupported) as caught:
        store.compact()
    assert "compaction" in caught.value.capability


def test_compact_every_compacts_after_that_many_finished_saves(tmp_path: Path) -> None:
    store = JSONStore(tmp_path, compact_every=3)
    store.write("a", _record(1, "running"))
    store.write("a", _record(1))
    store.write("b", _record(2))
    assert not (tmp_path / "segments").exists()
    store.write("c", _record(3))

    assert len(list((tmp_path / "segments").iterdir())) == 1
    assert dict(store.iter_records()) == _plain(tmp_path)


def test_compact_every_rejects_a_bad_count(tmp_path: Path) -> None:
    from session_core.errors import SessionCoreError

    with pytest.raises((TypeError, SessionCoreError)):
        JSONStore(tmp_path, compact_every=-1)


def test_cli_compact_prints_what_it_folded(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 20)
    result = subprocess.run(
        [sys.executable, "-m", "session_core", "compact", f"file://{tmp_path}", "--store-arg", "temp_max_age=60"],
        cwd=subprocesses.PROJECT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "folded 17 sessions into 1 new segments" in result.stdout
    assert dict(store.iter_records()) == _plain(tmp_path)


# ---------------------------------------------------------------------------- races and crashes

WRITER = """
import sys
from session_core.stores.json import JSONStore
url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = JSONStore(url, **({"storage_options": __import__("json").loads(sys.argv[4])} if len(sys.argv) > 4 else {}))
for i in range(count):
    sid = f"{prefix}{i:06d}"
    store.write(sid, {"status": "running", "writer": prefix, "n": i})
    store.write(sid, {"status": "completed", "writer": prefix, "n": i, "note": "x" * (i % 50)})
    if i % 10 == 3:
        store.delete(sid)
print("done")
"""

COMPACTOR = """
import json, sys
from session_core.stores.json import JSONStore
url, rounds = sys.argv[1], int(sys.argv[2])
options = {"storage_options": json.loads(sys.argv[3])} if len(sys.argv) > 3 else {}
for _ in range(rounds):
    JSONStore(url, **options).compact()
    print("round", flush=True)
"""


def _expected_team(prefixes: list[str], count: int) -> dict[str, Any]:
    return {
        f"{prefix}{i:06d}": {"status": "completed", "writer": prefix, "n": i, "note": "x" * (i % 50)}
        for prefix in prefixes
        for i in range(count)
        if i % 10 != 3
    }


def _team(url: str, count: int, rounds: int, options: dict[str, Any] | None = None) -> JSONStore:
    """4 writer processes (each its own fsspec instance) while a compactor loops."""
    extra = [json.dumps(options)] if options else []
    JSONStore(url, **({"storage_options": options} if options else {})).close()
    compactor = subprocesses.start(COMPACTOR, url, str(rounds), *extra)
    writers = [subprocesses.start(WRITER, url, f"w{n}-", str(count), *extra) for n in range(4)]
    for writer in writers:
        assert subprocesses.finish(writer).strip() == "done"
    assert subprocesses.finish(compactor).count("round") == rounds
    store = JSONStore(url, **({"storage_options": options} if options else {}))
    store.compact()
    return store


@pytest.mark.slow
def test_a_team_writing_while_compaction_repeats_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    store = _team(str(tmp_path), count=250, rounds=6)
    expected = _expected_team([f"w{n}-" for n in range(4)], 250)

    records = list(store.iter_records())
    assert [session_id for session_id, _ in records] == sorted(expected)  # none lost, none twice
    assert dict(records) == expected == _plain(tmp_path)  # none torn, last save wins
    assert list(store.session_ids()) == sorted(expected)
    assert [(row[0], row[4]) for row in _query_all(store)] == records  # query agrees


@pytest.mark.slow
@pytest.mark.s3
def test_a_team_on_s3_writing_while_compaction_repeats(s3_bucket: str, s3_storage_options: dict[str, Any]) -> None:
    store = _team(f"s3://{s3_bucket}/runs", count=60, rounds=4, options=s3_storage_options)
    expected = _expected_team([f"w{n}-" for n in range(4)], 60)

    records = list(store.iter_records())
    assert [session_id for session_id, _ in records] == sorted(expected)
    assert dict(records) == expected
    assert [(row[0], row[4]) for row in _query_all(store)] == records


def test_two_compactions_at_once_neither_lose_nor_duplicate(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 1500)
    before = list(store.iter_records())

    subprocesses.run_all(COMPACTOR, [[str(tmp_path), "1"], [str(tmp_path), "1"]])

    assert list(store.iter_records()) == before
    assert store.compact().folded == 0


@pytest.mark.slow
def test_compaction_killed_at_any_point_leaves_a_readable_complete_store(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 1500)
    before = list(store.iter_records())
    for delay in (0.2, 0.5, 0.8, 1.2, 1.6, 2.5):
        compactor = subprocesses.start(COMPACTOR, str(tmp_path), "50")
        time.sleep(delay)
        os.kill(compactor.pid, signal.SIGKILL)
        compactor.wait(timeout=subprocesses.CHILD_TIMEOUT_S)
        assert list(store.iter_records()) == before
        assert list(store.session_ids()) == [session_id for session_id, _ in before]
    # a compaction after the kills completes the folding; leftovers of killed writes are swept
    store.compact()
    assert list(store.iter_records()) == before


# ---------------------------------------------------------------------------- S3 request counts


@pytest.mark.s3
def test_s3_reading_compacted_sessions_sends_no_per_session_get(
    s3_server: S3Server, s3_bucket: str, s3_storage_options: dict[str, Any]
) -> None:
    url = f"s3://{s3_bucket}/runs"
    store = JSONStore(url, storage_options=s3_storage_options)
    _fill(store, 120)
    before = list(store.iter_records())
    store.compact()
    store.write("s00001", {"status": "failed"})  # saved again: read from its object
    expected = [(i, {"status": "failed"} if i == "s00001" else r) for i, r in before]
    start = len(s3_server.requests.for_bucket(s3_bucket))

    assert list(store.iter_records()) == expected

    sent = s3_server.requests.for_bucket(s3_bucket)[start:]
    gets = sorted(request.key for request in sent if request.method == "GET" and request.key)
    segment_gets = [key for key in gets if key.startswith("runs/segments/")]
    per_session = [key for key in gets if key.startswith("runs/sessions/")]
    running = sorted(f"runs/sessions/{i}" for i, r in before if r["status"] == "running")
    assert len(segment_gets) == 1
    assert per_session == sorted(running + ["runs/sessions/s00001"])


# ---------------------------------------------------------------------------- query over segments


def _query_all(store: JSONStore) -> list[tuple[Any, ...]]:
    """Every row of ``sessions`` (records parsed), in id order."""
    from session_core.query import run_query

    sql = "SELECT id, status, exit_code, params, record FROM sessions ORDER BY id"
    for result in run_query(store, sql):
        return [(*row[:3], json.loads(row[3]) if row[3] else None, json.loads(row[4])) for row in result.rows()]
    raise AssertionError("run_query yielded no result")


def _query_after_changes(store: JSONStore) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The query's rows on a plain store, and after compaction, re-saves, deletes and new saves
    (compared with the same store's rows read one object at a time: segments moved aside)."""
    _fill(store, 60)
    store.write("s00003", {"status": "running", "n": "finished then running again"})
    before = _query_all(store)
    store.compact()
    assert _query_all(store) == before
    store.write("s00001", {"status": "failed", "n": "saved again", "exit_code": 3})
    store.delete("s00002")
    store.write("s00100", _record(100))
    store.compact()
    store.write("s00004", _record(-4))  # a copy of s00004 is in a segment, and now stale
    return _query_all(store), [(sid, dict(record)) for sid, record in store.iter_records()]


def test_query_over_segments_equals_query_over_objects(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    after, records = _query_after_changes(store)
    (tmp_path / "segments").rename(tmp_path / "aside")
    assert after == _query_all(store)  # the same rows with no segment at all
    assert [row[4] for row in after] == [record for _, record in records]
    assert [row[0] for row in after] == sorted(_plain(tmp_path))


def test_query_skips_an_unusable_segment(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 30)
    expected = _query_all(store)
    store.compact()
    next((tmp_path / "segments").iterdir()).write_bytes(b"not a segment\n{\"id\":\"s00001\"}\n")
    (tmp_path / "segments" / "foreign.txt").write_bytes(b"anything")

    assert _query_all(store) == expected


def test_two_copies_of_one_version_count_once(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 30)
    expected = _query_all(store)
    store.compact()
    segment = next((tmp_path / "segments").iterdir())
    first, last, _ = segment.name.split("~")
    (tmp_path / "segments" / f"{first}~{last}~{'0' * 16}.ndjson").write_bytes(segment.read_bytes())

    assert _query_all(store) == expected
    assert [(row[0], row[4]) for row in expected] == list(store.iter_records())


@pytest.mark.s3
def test_s3_query_over_segments_reads_them_in_bulk(
    s3_server: S3Server, s3_bucket: str, s3_storage_options: dict[str, Any]
) -> None:
    store = JSONStore(f"s3://{s3_bucket}/runs", storage_options=s3_storage_options)
    after, records = _query_after_changes(store)
    start = len(s3_server.requests.for_bucket(s3_bucket))
    assert _query_all(store) == after
    sent = s3_server.requests.for_bucket(s3_bucket)[start:]
    per_session = [r.key for r in sent if r.method == "GET" and r.key and r.key.startswith("runs/sessions/")]

    assert [row[4] for row in after] == [record for _, record in records]
    running = [row[0] for row in after if row[1] == "running"]
    assert set(per_session) == {f"runs/sessions/{sid}" for sid in [*running, "s00004"]}  # the rest from segments


# ---------------------------------------------------------------------------- migrate


def test_migrate_into_and_out_of_a_compacted_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from session_core import cli
    from session_core.stores.sqlite import SQLiteStore

    with SQLiteStore(tmp_path / "src.db") as source:
        source.write_many((f"m{i:04d}", _record(i)) for i in range(80))
        expected = dict(source.iter_records())
    compacted = JSONStore(tmp_path / "json")
    _fill(compacted, 40)
    compacted.compact()
    expected.update(compacted.iter_records())

    into = cli.main(["migrate", f"sqlite:///{tmp_path / 'src.db'}", f"file://{tmp_path / 'json'}", "--verify", "--progress", "none"])
    compacted.compact()
    out = cli.main(["migrate", f"file://{tmp_path / 'json'}", f"sqlite:///{tmp_path / 'out.db'}", "--verify", "--progress", "none"])

    capsys.readouterr()
    assert (into, out) == (0, 0)
    assert dict(compacted.iter_records()) == expected == _plain(tmp_path / "json")
    with SQLiteStore(tmp_path / "out.db") as copy:
        assert list(copy.iter_records()) == sorted(expected.items())
