"""JSONStore on a local folder, memory:// and S3 (moto's real server): what each promises.

The store-wide contract (values, ids, crash, concurrency) is the conformance suite's job; these
tests pin what is particular to JSON documents on fsspec filesystems: the key layout and its
order, the request budget on S3, temporary files of killed writers, and the failures of a
missing bucket or a dead endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from session_core import spool
from session_core.config import parse_store
from session_core.errors import ConfigError, FormatVersionError, StoreError, StoreTimeout
from session_core.ids import new_session_id
from session_core.session import Session
from session_core.stores.json import JSONStore, MemoryJSONStore
from tests.s3_server import FAKE_KEY, FAKE_SECRET, S3Request, S3Server

#: Ids where one is a prefix of another followed by '-', '.' or '_': with ``<id>.json`` keys
#: object storage would list them out of id order.
PREFIX_IDS = ["a", "a-b", "a.b", "a_b", "aB", "a-b-c", "b", "2022-03-09T12.34.56.789Z", "2022-03-09T12.34.56.789Z-2"]


@dataclass
class Location:
    """Where a test's store lives, and how to reach the same place without the store."""

    url: str
    options: dict[str, Any] = field(default_factory=dict)

    def open(self, session_id: str | None = None) -> JSONStore:
        return JSONStore(self.url, session_id, **self.options)

    def raw_pipe(self, name: str, data: bytes) -> None:
        """Write a file under the store's root without going through the store."""
        import fsspec.core

        fs, root = fsspec.core.url_to_fs(self.url, **self.options.get("storage_options", {}))
        if "://" not in self.url:
            fs.makedirs(f"{root}/{name}".rpartition("/")[0], exist_ok=True)
        fs.pipe_file(f"{root}/{name}", data)


@pytest.fixture(params=["local", "memory", pytest.param("s3", marks=pytest.mark.s3)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    if request.param == "local":
        return Location(str(tmp_path / "runs"))
    if request.param == "memory":
        return Location(f"memory://test-{uuid.uuid4().hex}")
    bucket = request.getfixturevalue("s3_bucket")
    options = request.getfixturevalue("s3_storage_options")
    return Location(f"s3://{bucket}/team/runs", {"storage_options": options})


@pytest.fixture
def s3_location(s3_bucket: str, s3_storage_options: dict[str, Any]) -> Location:
    return Location(f"s3://{s3_bucket}/runs", {"storage_options": s3_storage_options})


# ---------------------------------------------------------------------------- every filesystem


def test_ids_list_in_ascending_order_when_one_id_prefixes_another(location: Location) -> None:
    store = location.open()
    generated = [new_session_id() for _ in range(3)]
    ids = PREFIX_IDS + generated
    for session_id in reversed(ids):
        store.write(session_id, {"id": session_id})

    assert list(store.session_ids()) == sorted(ids)
    assert [(sid, rec["id"]) for sid, rec in store.iter_records()] == [(i, i) for i in sorted(ids)]


def test_write_many_then_reopen_reads_every_record(location: Location) -> None:
    records = [(f"s{i:03d}", {"i": i, "f": i / 2, "text": "ü" * i}) for i in range(25)]
    assert location.open().write_many(records) == 25

    reopened = location.open()
    assert [reopened.load(sid) for sid, _ in records] == [rec for _, rec in records]


def test_store_written_in_a_newer_format_refuses_to_open(location: Location) -> None:
    location.open().close()
    newer = JSONStore.FORMAT_VERSION + 1
    location.raw_pipe("session_core.json", json.dumps({"format": "session-core-json", "format_version": newer}).encode())

    with pytest.raises(FormatVersionError) as caught:
        location.open()
    assert (caught.value.found, caught.value.supported) == (newer, JSONStore.FORMAT_VERSION)


def test_foreign_marker_is_a_store_error(location: Location) -> None:
    location.raw_pipe("session_core.json", b"[1, 2]")

    with pytest.raises(StoreError) as caught:
        location.open()
    assert caught.value.operation == "open"
    assert isinstance(caught.value.cause, ValueError)


def test_files_that_are_not_sessions_are_not_listed(location: Location) -> None:
    store = location.open()
    store.write("real", {})
    location.raw_pipe("sessions/.hidden", b"{}")
    location.raw_pipe("sessions/has space", b"{}")

    assert list(store.session_ids()) == ["real"]


# ---------------------------------------------------------------------------- local folder


def test_local_layout_is_a_marker_and_one_json_document_per_session(tmp_path: Path) -> None:
    store = JSONStore(tmp_path / "runs")
    store.write("2022-03-09T12.34.56.789Z", {"status": "completed", "n": 1})

    assert json.loads((tmp_path / "runs" / "session_core.json").read_text()) == {
        "format": "session-core-json",
        "format_version": 2,
    }
    document = tmp_path / "runs" / "sessions" / "2022-03-09T12.34.56.789Z"
    assert json.loads(document.read_text("utf-8")) == {"status": "completed", "n": 1}
    assert store.location == f"JSONStore({tmp_path / 'runs'})"


def test_file_url_and_plain_path_are_the_same_store(tmp_path: Path) -> None:
    JSONStore(tmp_path / "runs").write("one", {"x": 1})

    assert JSONStore(f"file://{tmp_path / 'runs'}").load("one") == {"x": 1}


def test_unusable_local_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    with pytest.raises(StoreError) as caught:
        JSONStore(blocker / "runs")
    assert caught.value.operation == "open"
    assert str(blocker / "runs") in caught.value.location


_STALLED_WRITER = """
import os, sys, time
from session_core.stores.json import JSONStore, MemoryJSONStore

store = JSONStore(sys.argv[1])

def stall(src, dst):  # hold the writer after fsync, before the rename, to kill it there
    print("temporary file written", flush=True)
    time.sleep(120)

os.replace = stall
store.write("victim", {"version": 2, "padding": "x" * 100_000})
"""


@pytest.fixture
def killed_writer(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A local store whose writer was killed (SIGKILL) between writing and renaming its
    temporary file; yields the store path and the temporary file left behind."""
    root = tmp_path / "runs"
    JSONStore(root).write("victim", {"version": 1})
    child = subprocess.Popen(
        [sys.executable, "-c", _STALLED_WRITER, str(root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "temporary file written"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    leftovers = [p for p in (root / "sessions").iterdir() if p.name.startswith(".victim.")]
    assert len(leftovers) == 1, "the killed writer should have left its temporary file"
    yield root, leftovers[0]


def test_killed_writer_leaves_old_record_and_its_temp_file_is_never_listed(
    killed_writer: tuple[Path, Path],
) -> None:
    root, _ = killed_writer
    store = JSONStore(root)

    assert store.load("victim") == {"version": 1}
    assert list(store.session_ids()) == ["victim"]
    assert [sid for sid, _ in store.iter_records()] == ["victim"]


def test_listing_sweeps_old_temp_files_and_keeps_recent_ones(killed_writer: tuple[Path, Path]) -> None:
    root, temp = killed_writer
    store = JSONStore(root, temp_max_age=600)
    list(store.session_ids())
    assert temp.exists(), "a recent temporary file may belong to a live write"

    two_hours_ago = time.time() - 7200
    os.utime(temp, (two_hours_ago, two_hours_ago))
    assert list(store.session_ids()) == ["victim"]
    assert not temp.exists()
    assert store.load("victim") == {"version": 1}


# ---------------------------------------------------------------------------- memory


def test_memory_store_is_shared_in_the_process_and_declares_it_is_not_durable() -> None:
    url = f"memory://test-{uuid.uuid4().hex}"
    JSONStore(url).write("one", {"x": 1})
    store = MemoryJSONStore(url)

    assert store.load("one") == {"x": 1}
    for declared in (store.capabilities, MemoryJSONStore.capabilities, JSONStore(url).capabilities):
        assert declared.persistent and not declared.durable
        assert not declared.multiprocess and not declared.crash_safe


def test_memory_store_refuses_another_filesystem() -> None:
    with pytest.raises(StoreError) as caught:
        MemoryJSONStore("file:///tmp/runs")
    assert isinstance(caught.value.cause, ValueError)


def test_short_names_json_and_memory_resolve_to_json_stores(tmp_path: Path) -> None:
    local = parse_store("json", None, tmp_path).open()
    memory = parse_store("memory", None, tmp_path).open()

    assert type(local) is JSONStore and type(memory) is MemoryJSONStore
    assert local.location == f"JSONStore({tmp_path / '.session_core' / 'json'})"
    assert memory.location == "MemoryJSONStore(memory://session_core)"
    assert memory.capabilities.durable is False and local.capabilities.durable is True


# ---------------------------------------------------------------------------- S3 (moto)


def _requests_since(server: S3Server, bucket: str, start: int) -> list[S3Request]:
    return server.requests.for_bucket(bucket)[start:]


@pytest.mark.s3
def test_s3_opening_reads_only_the_format_marker(s3_server: S3Server, s3_bucket: str, s3_location: Location) -> None:
    start = len(s3_server.requests.for_bucket(s3_bucket))  # after the bucket's creation
    s3_location.open().close()
    marker = "runs/session_core.json"
    assert _requests_since(s3_server, s3_bucket, start) == [
        S3Request("GET", s3_bucket, marker, ""),
        S3Request("PUT", s3_bucket, marker, ""),
    ]
    start = len(s3_server.requests.for_bucket(s3_bucket))

    s3_location.open().close()

    assert _requests_since(s3_server, s3_bucket, start) == [S3Request("GET", s3_bucket, marker, "")]


@pytest.mark.s3
def test_s3_delete_leaves_a_tombstone_and_reports_a_missing_session(
    s3_server: S3Server, s3_bucket: str, s3_location: Location
) -> None:
    store = s3_location.open()
    store.write("gone", {})
    start = len(s3_server.requests.for_bucket(s3_bucket))
    store.delete("gone")

    # the object is read (to report a missing session), then replaced by an empty one: a
    # compaction folding "gone" meanwhile then keeps it (see docs/json-store.md)
    assert [(r.method, r.key) for r in _requests_since(s3_server, s3_bucket, start)] == [
        ("GET", "runs/sessions/gone"), ("PUT", "runs/sessions/gone")
    ]
    with pytest.raises(KeyError):
        store.delete("gone")
    assert not store.has_session("gone") and list(store.session_ids()) == []


@pytest.mark.s3
def test_s3_save_is_one_put_and_nothing_else(s3_server: S3Server, s3_bucket: str, s3_location: Location) -> None:
    store = s3_location.open("sess-1")
    store["status"] = "running"
    start = len(s3_server.requests.for_bucket(s3_bucket))

    store.save()

    assert _requests_since(s3_server, s3_bucket, start) == [S3Request("PUT", s3_bucket, "runs/sessions/sess-1", "")]


@pytest.mark.s3
def test_s3_load_is_one_get_and_nothing_else(s3_server: S3Server, s3_bucket: str, s3_location: Location) -> None:
    store = s3_location.open()
    store.write("sess-1", {"big": "y" * 200_000})
    start = len(s3_server.requests.for_bucket(s3_bucket))

    assert store.load("sess-1") == {"big": "y" * 200_000}
    assert _requests_since(s3_server, s3_bucket, start) == [S3Request("GET", s3_bucket, "runs/sessions/sess-1", "")]


@pytest.mark.s3
def test_s3_write_many_sends_one_put_per_session_and_nothing_else(
    s3_server: S3Server, s3_bucket: str, s3_location: Location
) -> None:
    store = s3_location.open()
    start = len(s3_server.requests.for_bucket(s3_bucket))

    store.write_many((f"s{i}", {"i": i}) for i in range(8))

    sent = _requests_since(s3_server, s3_bucket, start)
    assert sorted(sent, key=lambda r: r.key) == [S3Request("PUT", s3_bucket, f"runs/sessions/s{i}", "") for i in range(8)]


@pytest.mark.s3
@pytest.mark.slow
def test_s3_listing_sends_one_list_request_per_thousand_sessions(
    s3_server: S3Server, s3_bucket: str, s3_location: Location
) -> None:
    store = s3_location.open()
    ids = [f"s{i:05d}" for i in range(1001)]
    store.write_many((sid, {}) for sid in ids)
    start = len(s3_server.requests.for_bucket(s3_bucket))

    assert list(store.session_ids()) == ids
    sent = _requests_since(s3_server, s3_bucket, start)
    # two LIST pages, then the segments' manifest (none: the store was never compacted)
    assert [(r.method, r.key) for r in sent] == [("GET", ""), ("GET", ""), ("GET", "runs/segments/manifest.json")]
    assert all("list-type=2" in r.query for r in sent[:2])


@pytest.mark.s3
def test_s3_missing_bucket_is_a_store_error_naming_the_bucket(s3_storage_options: dict[str, Any]) -> None:
    bucket = f"missing-{uuid.uuid4().hex[:12]}"

    with pytest.raises(StoreError) as caught:
        JSONStore(f"s3://{bucket}/runs", storage_options=s3_storage_options)
    assert caught.value.location == f"JSONStore(s3://{bucket}/runs)"
    assert isinstance(caught.value.cause, FileNotFoundError)
    assert caught.value.cause.filename == bucket


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dead_endpoint_options(endpoint_url: str) -> dict[str, Any]:
    return {
        "endpoint_url": endpoint_url,
        "key": FAKE_KEY,
        "secret": FAKE_SECRET,
        "client_kwargs": {"region_name": "us-east-1"},
        "config_kwargs": {"connect_timeout": 0.5, "read_timeout": 0.3, "retries": {"total_max_attempts": 2, "mode": "standard"}},
    }


@pytest.mark.s3
def test_s3_endpoint_refusing_connections_is_a_store_timeout() -> None:
    with pytest.raises(StoreTimeout) as caught:
        JSONStore("s3://bucket/runs", storage_options=_dead_endpoint_options(f"http://127.0.0.1:{_closed_port()}"))
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.location == "JSONStore(s3://bucket/runs)"


@pytest.mark.s3
def test_s3_silent_endpoint_is_a_store_timeout_after_the_configured_attempts() -> None:
    accepted: list[socket.socket] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.1)
        done = threading.Event()

        def accept_and_say_nothing() -> None:
            while not done.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
        thread.start()
        port = listener.getsockname()[1]
        try:
            with pytest.raises(StoreTimeout):
                JSONStore("s3://bucket/runs", storage_options=_dead_endpoint_options(f"http://127.0.0.1:{port}"))
        finally:
            done.set()
            thread.join()
            for conn in accepted:
                conn.close()
    assert len(accepted) == 2  # total_max_attempts, and no hidden retry loop on top


@pytest.mark.s3
def test_s3_session_with_dead_endpoint_spools_its_record(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    options = {"storage_options": _dead_endpoint_options(f"http://127.0.0.1:{_closed_port()}")}

    with Session.create(tmp_path, store="s3://bucket/runs", store_args=options, spool_dir=spool_dir, git=False) as session:
        session_id = session.session_id

    entries = list(spool.entries(spool_dir))
    assert [(e.session_id, e.record["status"]) for e in entries] == [(session_id, "completed")]
    assert entries[0].target["path"] == "s3://bucket/runs"


@pytest.mark.s3
def test_s3_credentials_never_reach_location_errors_or_logs(
    s3_location: Location, s3_storage_options: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    store = s3_location.open("sess-1")
    store["x"] = 1
    store.save()
    list(store.iter_records())
    with pytest.raises(StoreError) as caught:
        JSONStore("s3://no-such-bucket-here/x", storage_options=s3_storage_options)

    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("session_core",))
    for text in (store.location, repr(store), str(caught.value), caught.value.location, ours):
        assert FAKE_SECRET not in text and FAKE_KEY not in text


@pytest.mark.s3
def test_s3_url_setting_with_storage_options_opens_a_shared_store(
    tmp_path: Path, s3_bucket: str, s3_storage_options: dict[str, Any]
) -> None:
    spec = parse_store(f"s3://{s3_bucket}/runs", {"storage_options": s3_storage_options}, tmp_path)
    spec.open().write("from-spec", {"ok": True})

    store = spec.open("from-spec")
    assert dict(store) == {"ok": True}
    assert store.capabilities.shared and store.capabilities.crash_safe


def test_an_unknown_option_beside_credentials_is_a_config_error_without_them(tmp_path: Path) -> None:
    options = {"storage_options": {"key": FAKE_KEY, "secret": FAKE_SECRET}, "temp_max_ages": 5}

    with pytest.raises(ConfigError) as caught:
        parse_store("s3://bucket/runs", options, tmp_path).open()
    assert caught.value.setting == "store options"
    assert FAKE_SECRET not in str(caught.value) and FAKE_KEY not in str(caught.value)


@pytest.mark.s3
def test_s3_a_reader_finds_no_store_and_writes_nothing(s3_server: S3Server, s3_bucket: str, s3_storage_options) -> None:
    """``list``/``show``/``query`` open with create=False: an empty prefix stays empty."""
    from session_core.errors import StoreNotFound
    from session_core.registry import StoreSpec

    spec = StoreSpec("session_core.stores.json:JSONStore", f"s3://{s3_bucket}/runs", {"storage_options": s3_storage_options})
    start = len(s3_server.requests.for_bucket(s3_bucket))
    with pytest.raises(StoreNotFound):
        spec.open(create=False)
    assert {r.method for r in _requests_since(s3_server, s3_bucket, start)} <= {"GET", "HEAD"}
    spec.open().close()  # a writer creates it; then a reader opens it
    spec.open(create=False).close()
