"""Compaction of the JSON store (format 2): folded objects removed, every read unchanged.

Every read path is compared with what it returned before compaction (or with the records the
test saved), on a real local folder and on S3 through moto's server; the races compaction must
survive (a save or delete landing between its read and its removal, another compaction
committing first, kill -9) are made to happen, deterministically or with real processes.
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

from session_core.errors import FormatVersionError, NotSupported, SessionNotFound, StoreError
from session_core.stores._segments import MANIFEST_NAME, read_manifest
from session_core.stores.json import JSONStore, MemoryJSONStore
from tests import subprocesses
from tests.s3_server import S3Server


def _record(number: int, status: str = "completed") -> dict[str, Any]:
    return {"status": status, "n": number, "note": f"line one\nline two {number}", "params": {"k": [1, 2.5, None]}}


def _fill(store: JSONStore, count: int) -> dict[str, Any]:
    records = {f"s{i:05d}": _record(i, "running" if i % 7 == 0 else "completed") for i in range(count)}
    store.write_many(records.items())
    return records


def _everything(store: JSONStore) -> dict[str, Any]:
    """What every read path returns: ids, records, loads, and the Kedro face's read()."""
    ids = list(store.session_ids())
    return {
        "ids": ids,
        "records": list(store.iter_records()),
        "loads": [store.load(session_id) for session_id in ids],
        "kedro": [JSONStore(store.path, session_id=session_id).read() for session_id in ids[:5]],
    }


def _objects(folder: Path) -> list[str]:
    """The per-session objects left in a local store (tombstones included)."""
    return sorted(name for name in os.listdir(folder / "sessions") if not name.startswith("."))


def _segments(store: JSONStore) -> int:
    return len(read_manifest(store._segments).segments)


def test_compaction_removes_what_it_folded_and_changes_no_read_path(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    records = _fill(store, 250)
    before = _everything(store)

    done = store.compact()

    assert (done.folded, done.skipped, done.deleted, done.segments, done.kept) == (250 - 36, 36, 0, 1, 0)
    assert _objects(tmp_path) == sorted(i for i, r in records.items() if r["status"] == "running")
    assert _everything(store) == before
    again = store.compact()
    assert (again.folded, again.skipped, again.segments) == (0, 36, 0)
    assert _everything(store) == before


def test_a_session_saved_again_after_compaction_wins_and_a_deleted_one_is_gone(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    expected = _fill(store, 30)
    store.compact()

    store.write("s00001", {"status": "failed", "n": "again"})
    store.delete("s00002")
    store.write("s00100", _record(100))
    expected.update({"s00001": {"status": "failed", "n": "again"}, "s00100": _record(100)})
    del expected["s00002"]

    for _ in range(2):  # as saved, then folded by a second compaction
        records = dict(store.iter_records())
        assert records == expected
        assert list(records) == list(store.session_ids()) == sorted(expected)
        assert [store.load(i) for i in expected] == list(expected.values())
        with pytest.raises(SessionNotFound):
            store.load("s00002")
        with pytest.raises(SessionNotFound):
            store.delete("s00002")
        assert store.compact().deleted <= 1
    assert _objects(tmp_path) == sorted(i for i, r in expected.items() if r["status"] == "running")


def test_a_deleted_folded_session_saved_again_comes_back(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    store.write("a", _record(1))
    store.compact()
    store.delete("a")
    store.compact()  # the deletion is folded too: the segment's newest line for "a" says deleted

    assert not store.has_session("a") and list(store.session_ids()) == []
    store.write("a", _record(2))
    assert dict(store.iter_records()) == {"a": _record(2)}
    store.compact()
    assert dict(store.iter_records()) == {"a": _record(2)} and store.load("a") == _record(2)


def test_the_same_content_saved_again_keeps_reading_right(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    store.write("a", _record(1))
    store.compact()
    store.write("a", _record(2))
    store.write("a", _record(1))

    assert dict(store.iter_records()) == {"a": _record(1)}
    store.compact()
    assert dict(store.iter_records()) == {"a": _record(1)}


def test_a_delete_leaves_a_tombstone_that_every_read_skips(tmp_path: Path) -> None:
    from session_core.query import run_query

    store = JSONStore(tmp_path)
    store.write("a", _record(1))
    store.write("b", _record(2))
    store.delete("a")

    assert os.readlink(tmp_path / "sessions" / "a") == ".tombstone"  # never compacted: still a tombstone
    assert list(store.session_ids()) == ["b"] and dict(store.iter_records()) == {"b": _record(2)}
    assert [row for result in run_query(store, "SELECT id FROM sessions") for row in result.rows()] == [("b",)]
    with pytest.raises(SessionNotFound):
        store.delete("a")
    store.write("a", _record(3))
    assert dict(store.iter_records()) == {"a": _record(3), "b": _record(2)}


def _save_and_delete_before_the_removal(store: JSONStore, other: JSONStore) -> None:
    """Have ``other`` save s00001 again and delete s00002 after ``store``'s compaction read
    them, just before it removes the objects it folded."""
    folder = store._sessions
    remove = folder.remove_many_if

    def landing(items: list[tuple[str, str]]) -> int:
        other.write("s00001", {"status": "failed", "n": "landed"})
        other.delete("s00002")
        return remove(items)

    folder.remove_many_if = landing  # type: ignore[method-assign]


def test_a_save_or_delete_landing_between_the_read_and_the_removal_wins(tmp_path: Path) -> None:
    """The compaction removes an object only while it is the version it folded."""
    store = JSONStore(tmp_path)
    _fill(store, 20)
    _save_and_delete_before_the_removal(store, JSONStore(tmp_path))
    done = store.compact()

    assert done.kept == 2
    assert store.load("s00001") == {"status": "failed", "n": "landed"}
    assert not store.has_session("s00002") and "s00002" not in dict(store.iter_records())


def test_a_compaction_that_another_commits_before_reads_again(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    expected = _fill(store, 40)
    segments = store._segments
    commit = segments.write_if
    calls = []

    def another_compaction_first(name: str, data: bytes, tag: str | None) -> bool:
        if not calls:
            calls.append(name)
            JSONStore(tmp_path).write("s00003", _record(-3))
            JSONStore(tmp_path).compact()  # commits first, with s00003's new version
        return commit(name, data, tag)

    segments.write_if = another_compaction_first  # type: ignore[method-assign]
    done = store.compact()

    # its first read (s00003's old version) never committed; read again, all was folded already
    assert (done.retried, done.segments, done.skipped) == (1, 0, 6)
    expected["s00003"] = _record(-3)
    assert dict(store.iter_records()) == expected
    assert store.load("s00003") == _record(-3)
    assert len(list((tmp_path / "segments").glob("*.ndjson"))) == _segments(store) == 1  # the loser's removed


def test_a_damaged_segment_line_is_an_error_naming_the_segment(tmp_path: Path) -> None:
    """A segment is the only copy of what it holds: damage is reported, never a session gone."""
    store = JSONStore(tmp_path)
    records = _fill(store, 40)
    store.compact()
    segment = next((tmp_path / "segments").glob("*.ndjson"))
    lines = segment.read_bytes().split(b"\n")
    damaged = lines[3][7:13].decode()
    lines[3] = b"not a segment line"
    segment.write_bytes(b"\n".join(lines))
    (tmp_path / "segments" / "a~z~0123456789abcdef.ndjson").write_bytes(b"{}")  # not in the manifest: unread

    for read in (lambda: dict(store.iter_records()), lambda: store.load(damaged), lambda: _query_all(store)):
        with pytest.raises(StoreError) as caught:
            read()
        assert segment.name in str(caught.value) and "not a segment line" in str(caught.value)
    assert list(store.session_ids()) == sorted(records)  # the ids object is intact


def test_a_segment_missing_from_under_the_manifest_is_an_error_naming_it(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    _fill(store, 10)
    store.compact()
    segment = next((tmp_path / "segments").glob("*.ndjson"))
    segment.unlink()

    with pytest.raises(StoreError) as caught:
        list(store.iter_records())
    assert segment.name in str(caught.value)


def test_a_read_racing_a_compaction_still_returns_every_session(tmp_path: Path) -> None:
    """Objects listed, then folded and removed by a compaction before they are read: each is
    then found in the segment the compaction committed before removing it."""
    store = JSONStore(tmp_path)
    records = _fill(store, 350)
    reading = store.iter_records()
    first = next(reading)  # listed, and the first page read
    JSONStore(tmp_path).compact()

    assert dict([first, *reading]) == records


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

    assert _segments(store) == 1 and _objects(tmp_path) == []
    assert dict(store.iter_records()) == {"a": _record(1), "b": _record(2), "c": _record(3)}


def test_compact_every_rejects_a_bad_count(tmp_path: Path) -> None:
    from session_core.errors import SessionCoreError

    with pytest.raises((TypeError, SessionCoreError)):
        JSONStore(tmp_path, compact_every=-1)


def test_cli_compact_prints_what_it_folded(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    records = _fill(store, 20)
    store.delete("s00001")
    del records["s00001"]
    result = subprocess.run(
        [sys.executable, "-m", "session_core", "compact", f"file://{tmp_path}", "--store-arg", "temp_max_age=60"],
        cwd=subprocesses.PROJECT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "folded 17 sessions (1 of them deletions) into 1 new segments; 3 skipped" in result.stdout
    assert dict(store.iter_records()) == records


# ---------------------------------------------------------------------------- format 1


def test_a_format_1_store_is_refused_until_migrate_upgrade_converts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from session_core import cli

    (tmp_path / "sessions").mkdir()
    (tmp_path / "segments").mkdir()
    (tmp_path / "session_core.json").write_text(json.dumps({"format": "session-core-json", "format_version": 1}))
    (tmp_path / "sessions" / "a").write_text(json.dumps(_record(1)))
    (tmp_path / "segments" / "a~a~0123456789abcdef.ndjson").write_text('{"id":"a","tag":"x","record":{}}\n')
    with pytest.raises(FormatVersionError) as caught:
        JSONStore(tmp_path)
    assert (caught.value.found, caught.value.supported) == (1, 2)

    assert cli.main(["migrate", "--upgrade", f"file://{tmp_path}", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)

    assert result["sessions"] == 1 and "format1-backup" in result["backup"]
    assert list((tmp_path / "segments").iterdir()) == []  # format 1's copies, never relied on, removed
    store = JSONStore(tmp_path)
    assert store.format_version() == 2 and dict(store.iter_records()) == {"a": _record(1)}
    store.compact()
    assert dict(store.iter_records()) == {"a": _record(1)}


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
    assert dict(records) == expected  # none torn, last save wins
    assert list(store.session_ids()) == sorted(expected)
    assert [(row[0], row[4]) for row in _query_all(store)] == records  # query agrees
    assert _objects(tmp_path) == []  # the last compaction folded every save and every delete


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
    assert _objects(tmp_path) == sorted(i for i, r in before if r["status"] == "running")


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
def test_s3_reading_a_compacted_store_lists_little_and_gets_each_segment_once(
    s3_server: S3Server, s3_bucket: str, s3_storage_options: dict[str, Any]
) -> None:
    url = f"s3://{s3_bucket}/runs"
    store = JSONStore(url, storage_options=s3_storage_options)
    records = _fill(store, 120)
    store.compact()
    store.write("s00001", {"status": "failed"})  # saved again: read from its object
    store.delete("s00002")  # a tombstone: nothing to read
    records["s00001"] = {"status": "failed"}
    del records["s00002"]
    start = len(s3_server.requests.for_bucket(s3_bucket))

    assert dict(store.iter_records()) == records

    sent = s3_server.requests.for_bucket(s3_bucket)[start:]
    gets = sorted(request.key for request in sent if request.method == "GET" and request.key)
    running = [f"runs/sessions/{i}" for i, r in records.items() if r["status"] == "running"]
    assert [key for key in gets if key.startswith("runs/sessions/")] == sorted([*running, "runs/sessions/s00001"])
    assert len([key for key in gets if key.endswith(".ndjson")]) == 1
    assert f"runs/segments/{MANIFEST_NAME}" in gets
    lists = [request for request in sent if request.method == "GET" and not request.key]
    assert len(lists) == 1  # the few objects saved since: one page


def _fill_overlapping(store: JSONStore) -> dict[str, Any]:
    """120 sessions folded into 4 segments whose id ranges overlap: sessions finished again
    after the first compaction are folded by later ones, each segment spanning its two."""
    records = _fill(store, 120)
    store.compact()
    for first, last in [("s00003", "s00110"), ("s00010", "s00100"), ("s00005", "s00090")]:
        for session_id in (first, last):
            records[session_id] = {"status": "completed", "again": [first, last]}
            store.write(session_id, records[session_id])
        store.compact()
    assert len(read_manifest(store._segments).segments) == 4
    return records


@pytest.mark.s3
def test_s3_newest_first_on_a_compacted_store_reads_each_segment_once(
    s3_server: S3Server, s3_bucket: str, s3_storage_options: dict[str, Any]
) -> None:
    """``list`` and the run browser page newest first: a folded session comes from its
    segment, not from a failed GET of its object and a manifest read of its own; segments whose
    ranges overlap (sessions folded again) are each read once."""
    store = JSONStore(f"s3://{s3_bucket}/runs", storage_options=s3_storage_options)
    records = _fill_overlapping(store)
    store.write("s00001", {"status": "failed"})
    store.delete("s00002")
    records["s00001"] = {"status": "failed"}
    del records["s00002"]
    segments = read_manifest(store._segments).segments
    reader = JSONStore(f"s3://{s3_bucket}/runs", storage_options={**s3_storage_options, "skip_instance_cache": True})
    start = len(s3_server.requests.for_bucket(s3_bucket))

    newest_first = [(session_id, dict(record)) for session_id, record in reader.iter_matching(newest_first=True)]

    assert newest_first == sorted(records.items(), reverse=True)
    sent = s3_server.requests.for_bucket(s3_bucket)[start:]
    gets = [request.key for request in sent if request.method == "GET" and request.key]
    running = [f"runs/sessions/{i}" for i, r in records.items() if r["status"] == "running"]
    assert sorted(key for key in gets if key.startswith("runs/sessions/")) == sorted([*running, "runs/sessions/s00001"])
    assert len(segments) == 4 and not read_manifest(store._segments).disjoint()
    assert sorted(key for key in gets if key.endswith(".ndjson")) == sorted(f"runs/segments/{ref.name}" for ref in segments)
    assert gets.count(f"runs/segments/{MANIFEST_NAME}") == 1


@pytest.mark.s3
def test_s3_loading_folded_sessions_one_by_one_reads_overlapping_segments_once(
    s3_server: S3Server, s3_bucket: str, s3_storage_options: dict[str, Any]
) -> None:
    """The Kedro face and ``load`` loops read session by session: one id may be in several
    segments (small ones of later compactions span wide ranges), and each is read once."""
    store = JSONStore(f"s3://{s3_bucket}/runs", storage_options=s3_storage_options)
    records = _fill_overlapping(store)
    reader = JSONStore(f"s3://{s3_bucket}/runs", storage_options={**s3_storage_options, "skip_instance_cache": True})
    segments = read_manifest(store._segments).segments
    start = len(s3_server.requests.for_bucket(s3_bucket))

    assert {session_id: reader.load(session_id) for session_id in sorted(records)} == records

    sent = s3_server.requests.for_bucket(s3_bucket)[start:]
    segment_gets = sorted(r.key for r in sent if r.method == "GET" and r.key and r.key.endswith(".ndjson"))
    assert segment_gets == sorted(f"runs/segments/{ref.name}" for ref in segments)


@pytest.mark.s3
def test_s3_compaction_removes_objects_only_while_unchanged(
    s3_bucket: str, s3_storage_options: dict[str, Any]
) -> None:
    """The removal is S3's conditional DeleteObject (If-Match: the ETag folded)."""
    store = JSONStore(f"s3://{s3_bucket}/runs", storage_options=s3_storage_options)
    _fill(store, 10)
    other = JSONStore(f"s3://{s3_bucket}/runs", storage_options={**s3_storage_options, "skip_instance_cache": True})
    _save_and_delete_before_the_removal(store, other)

    assert store.compact().kept == 2
    assert other.load("s00001") == {"status": "failed", "n": "landed"} and not other.has_session("s00002")
    assert sorted(other._sessions.names()) == ["s00000", "s00001", "s00002", "s00007"]  # running ones, and the two


# ---------------------------------------------------------------------------- query over segments


def _query_all(store: JSONStore) -> list[tuple[Any, ...]]:
    """Every row of ``sessions`` (records parsed), in id order."""
    from session_core.query import run_query

    sql = "SELECT id, status, exit_code, params, record FROM sessions ORDER BY id"
    for result in run_query(store, sql):
        return [(*row[:3], json.loads(row[3]) if row[3] else None, json.loads(row[4])) for row in result.rows()]
    raise AssertionError("run_query yielded no result")


def _query_after_changes(store: JSONStore) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The query's rows after compaction, re-saves, deletes, new saves and a second compaction
    (segments whose id ranges overlap), beside ``iter_records``."""
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
    store.delete("s00005")  # a tombstone over a segment copy
    return _query_all(store), [(sid, dict(record)) for sid, record in store.iter_records()]


def test_query_over_segments_equals_iter_records(tmp_path: Path) -> None:
    store = JSONStore(tmp_path)
    after, records = _query_after_changes(store)
    assert [(row[0], row[4]) for row in after] == records
    assert [row[1:3] for row in after if row[0] == "s00001"] == [("failed", 3)]
    assert {"s00002", "s00005"}.isdisjoint(row[0] for row in after)
    store.compact()
    assert _query_all(store) == after  # every change folded


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

    assert [(row[0], row[4]) for row in after] == records
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
    expected.update(_fill(compacted, 40))
    compacted.compact()

    into = cli.main(["migrate", f"sqlite:///{tmp_path / 'src.db'}", f"file://{tmp_path / 'json'}", "--verify", "--progress", "none"])
    compacted.compact()
    out = cli.main(["migrate", f"file://{tmp_path / 'json'}", f"sqlite:///{tmp_path / 'out.db'}", "--verify", "--progress", "none"])

    capsys.readouterr()
    assert (into, out) == (0, 0)
    assert dict(compacted.iter_records()) == expected
    with SQLiteStore(tmp_path / "out.db") as copy:
        assert list(copy.iter_records()) == sorted(expected.items())


# ---------------------------------------------------------------------------- merging small segments


def test_small_segments_merge_by_tier_and_reads_stay_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import session_core.stores._segment_merge as merging

    store = JSONStore(tmp_path, compact_every=1)
    expected: dict[str, Any] = {}
    for number in range(70):
        session_id = f"s{number % 50:05d}"  # the last 20 saved twice: later copies must win
        expected[session_id] = _record(number)
        store.write(session_id, expected[session_id])
        if number == 60:
            store.delete("s00003")
            del expected["s00003"]

    manifest = read_manifest(store._segments)
    # 71 one-session compactions: merged 8 at a time, then the merged ones 8 at a time again
    assert len(manifest.segments) < 16 and manifest.retired
    assert dict(store.iter_records()) == expected and list(store.session_ids()) == sorted(expected)
    assert [store.load(i) for i in expected] == list(expected.values())
    assert [(row[0], row[4]) for row in _query_all(store)] == sorted(expected.items())

    retired = [name for name, _ in manifest.retired]
    assert all((tmp_path / "segments" / name).exists() for name in retired)  # readers may still read them
    monkeypatch.setattr(merging, "RETIRE_AFTER", -1.0)
    store.compact()
    assert not any((tmp_path / "segments" / name).exists() for name in retired)
    assert read_manifest(store._segments).retired == ()
    assert dict(store.iter_records()) == expected


def test_segments_no_manifest_names_are_removed_once_an_hour_old(tmp_path: Path) -> None:
    """What a compaction killed before its commit left: never read, swept when surely dead."""
    store = JSONStore(tmp_path)
    records = _fill(store, 10)
    store.compact()
    folder = tmp_path / "segments"
    old, young = "a~z~00000001deadbeef", f"a~z~{int(time.time()):08x}deadbeef"
    for name in (old, young):
        (folder / f"{name}.ndjson").write_text('{"id":"a","record":{}}\n')
        (folder / f"{name}.ids").write_text("a\n")

    assert dict(store.iter_records()) == records
    store.compact()

    assert not (folder / f"{old}.ndjson").exists() and not (folder / f"{old}.ids").exists()
    assert (folder / f"{young}.ndjson").exists() and (folder / f"{young}.ids").exists()
    assert dict(store.iter_records()) == records and _segments(store) == 1
