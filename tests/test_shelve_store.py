"""ShelveStore: crafted shelves run nothing, kill -9 and concurrent writers lose nothing.

The generic contract (round trips, listing, deletes, CONC, CRASH) is pinned by the conformance
suite; these tests cover what is particular to shelves: pickle, ``dbm.dumb``'s fragile index,
the swap layout's recovery, the file lock and import-time behaviour.
"""

from __future__ import annotations

import builtins
import dbm
import json
import os
import pickle
import random
import shelve
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from session_core.atomic import temp_name
from session_core.errors import CorruptRecord, FormatVersionError, StoreTimeout, UnsafeRecord
from session_core.stores.shelve import OLD_DIR, RECORD_KEY, TMP_DIR, VERSION_FILE, ShelveStore
from tests.subprocesses import holding, run_all, start


class _Payload:
    """Pickles to ``function(argument)``: what an attacker plants in a shelf."""

    def __init__(self, function: Any, argument: str) -> None:
        self.function = function
        self.argument = argument

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return self.function, (self.argument,)


def _crafted(kind: str, marker: Path) -> bytes:
    if kind == "os.system":
        return pickle.dumps(_Payload(os.system, f"touch {marker}"))
    return pickle.dumps(_Payload(builtins.exec, f"open({str(marker)!r}, 'w').close()"))


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec"])
def test_a_crafted_shelf_raises_unsafe_record_and_runs_nothing(tmp_path: Path, kind: str) -> None:
    probe, marker = tmp_path / "probe", tmp_path / "pwned"
    pickle.loads(_crafted(kind, probe))  # the payload is live: a plain unpickler runs it
    assert probe.exists()
    root = tmp_path / "shelves"
    store = ShelveStore(root)
    store.write("victim", {"ok": True})
    store.write("neighbour", {"ok": True})
    with dbm.open(str(root / "victim" / "store"), "w") as db:
        db[RECORD_KEY.encode()] = _crafted(kind, marker)

    with pytest.raises(UnsafeRecord) as info:
        ShelveStore(root).load("victim")
    with pytest.raises(UnsafeRecord):
        ShelveStore(root, "victim")  # Kedro's face reads at construction

    assert not marker.exists()
    assert info.value.session_id == "victim"
    assert str(root) in info.value.location
    assert info.value.refused.rsplit(".", 1)[-1] in {"system", "exec"}
    assert ShelveStore(root).load("neighbour") == {"ok": True}


def test_a_damaged_shelf_value_is_a_corrupt_record(tmp_path: Path) -> None:
    store = ShelveStore(tmp_path)
    store.write("torn", {"n": 1})
    with dbm.open(str(tmp_path / "torn" / "store"), "w") as db:
        db[RECORD_KEY.encode()] = pickle.dumps("x" * 100)[:20]

    with pytest.raises(CorruptRecord) as info:
        store.load("torn")
    assert info.value.session_id == "torn"
    assert not isinstance(info.value, UnsafeRecord)


def test_a_kedro_shelf_is_a_corrupt_record_not_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / "2021-08-10T12.12.42.311Z").mkdir()
    with shelve.open(str(tmp_path / "2021-08-10T12.12.42.311Z" / "store")) as kedro_shelf:
        kedro_shelf["package_name"] = "demo"

    with pytest.raises(CorruptRecord) as info:
        ShelveStore(tmp_path).load("2021-08-10T12.12.42.311Z")
    assert info.value.session_id == "2021-08-10T12.12.42.311Z"


def test_a_save_interrupted_between_its_two_renames_keeps_the_old_record(tmp_path: Path) -> None:
    ShelveStore(tmp_path).write("s1", {"v": "old"})
    os.rename(tmp_path / "s1", tmp_path / OLD_DIR / "s1")  # step one of a swap, then SIGKILL

    store = ShelveStore(tmp_path)
    assert list(store.session_ids()) == ["s1"]
    assert store.load("s1") == {"v": "old"}
    assert os.listdir(tmp_path / OLD_DIR) == []


def test_a_save_interrupted_after_its_swap_keeps_the_new_record(tmp_path: Path) -> None:
    store = ShelveStore(tmp_path)
    store.write("s1", {"v": "old"})
    store.write("staged", {"v": "new"})
    os.rename(tmp_path / "s1", tmp_path / OLD_DIR / "s1")  # both renames of a swap, then
    os.rename(tmp_path / "staged", tmp_path / "s1")  # SIGKILL before the old shelf was removed

    assert ShelveStore(tmp_path).load("s1") == {"v": "new"}
    assert os.listdir(tmp_path / OLD_DIR) == []


def test_stale_temporary_entries_are_swept_and_fresh_ones_never_listed(tmp_path: Path) -> None:
    ShelveStore(tmp_path).write("s1", {})
    stale, fresh = tmp_path / TMP_DIR / temp_name("shelf"), tmp_path / TMP_DIR / temp_name("shelf")
    stale.mkdir()
    fresh.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    store = ShelveStore(tmp_path)

    assert not stale.exists()
    assert fresh.exists()
    assert list(store.session_ids()) == ["s1"]


def test_the_format_version_is_stored_and_checked(tmp_path: Path) -> None:
    assert ShelveStore(tmp_path).format_version() == ShelveStore.FORMAT_VERSION
    (tmp_path / VERSION_FILE).write_text("2", encoding="ascii")

    with pytest.raises(FormatVersionError) as info:
        ShelveStore(tmp_path)
    assert (info.value.found, info.value.supported) == (2, ShelveStore.FORMAT_VERSION)


_HOLD_LOCK = """
import sys, filelock
lock = filelock.FileLock(sys.argv[1])
with lock:
    print("ready", flush=True)
    sys.stdin.read()
"""


def test_a_lock_that_never_frees_raises_store_timeout_and_later_saves_succeed(tmp_path: Path) -> None:
    store = ShelveStore(tmp_path, timeout=0.3)
    with holding(_HOLD_LOCK, str(tmp_path / ".lock")):
        with pytest.raises(StoreTimeout) as info:
            store.write("s1", {"n": 1})
        assert isinstance(info.value, TimeoutError)
        assert str(tmp_path) in info.value.location
    store.write("s1", {"n": 2})
    assert store.load("s1") == {"n": 2}


_WRITER = """
import json, sys
from session_core.stores.shelve import ShelveStore
root, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = ShelveStore(root)
for i in range(count):
    store.write(f"w{writer}-{i:03d}", {"writer": writer, "i": i})
    store.write("shared", {"writer": writer, "i": i, "pad": "x" * (100 * i)})
"""


def test_concurrent_writers_lose_no_record_and_tear_none(tmp_path: Path) -> None:
    writers, count = 4, 40
    run_all(_WRITER, [[str(tmp_path), str(w), str(count)] for w in range(writers)])

    store = ShelveStore(tmp_path)
    expected = {f"w{w}-{i:03d}": {"writer": str(w), "i": i} for w in range(writers) for i in range(count)}
    records = dict(store.iter_records())
    shared = records.pop("shared")
    assert records == expected
    assert shared["pad"] == "x" * (100 * shared["i"])


_VICTIM = """
import sys
from session_core.stores.shelve import ShelveStore
store = ShelveStore(sys.argv[1])
n = 0
while True:
    n += 1
    store.write("victim", {"n": n, "pad": "y" * (500 * (n % 7))})
    print(n, flush=True)
"""


@pytest.mark.slow
def test_kill_9_during_saves_leaves_a_whole_record_and_every_other_one(tmp_path: Path) -> None:
    """dbm.dumb alone came back empty in 4 of 30 such kills; the swap layout must not."""
    store = ShelveStore(tmp_path)
    others = {f"keep-{i:02d}": {"i": i, "text": "z" * i} for i in range(20)}
    store.write_many(others.items())
    rng = random.Random(4)
    for _ in range(8):
        victim = start(_VICTIM, str(tmp_path))
        acknowledged = [int(victim.stdout.readline()) for _ in range(rng.randint(1, 20))]
        time.sleep(rng.uniform(0, 0.02))
        os.kill(victim.pid, signal.SIGKILL)
        out, _ = victim.communicate()
        acknowledged += [int(line) for line in out.split()]
        assert victim.returncode == -signal.SIGKILL

        reopened = ShelveStore(tmp_path)
        record = reopened.load("victim")
        assert record["n"] >= acknowledged[-1]
        assert record["pad"] == "y" * (500 * (record["n"] % 7))
        assert {sid: reopened.load(sid) for sid in others} == others
        assert list(reopened.session_ids()) == sorted([*others, "victim"])


def test_importing_the_module_leaves_multiprocessing_untouched() -> None:
    """Kedro's ShelveStore made a multiprocessing.Lock at import, which fixed the start method."""
    code = (
        "import multiprocessing, session_core.stores.shelve\n"
        "multiprocessing.set_start_method('spawn')\n"
        "print(multiprocessing.get_start_method())\n"
    )
    child = start(code)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert out.strip() == "spawn"


def test_the_record_is_json_text_under_one_shelf_key(tmp_path: Path) -> None:
    """Other tools can read a shelf with plain shelve: one key, the record's JSON text."""
    ShelveStore(tmp_path).write("s1", {"a": [1, 2.5, "é"]})
    with shelve.open(str(tmp_path / "s1" / "store"), flag="r") as shelf:
        assert list(shelf.keys()) == [RECORD_KEY]
        assert json.loads(shelf[RECORD_KEY]) == {"a": [1, 2.5, "é"]}
