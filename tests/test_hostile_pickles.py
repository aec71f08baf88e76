"""Hostile pickles, built byte by byte here, in session-core shelves and legacy Kedro shelves.

Each one is refused for its own session (a ``CorruptRecord``; an ``UnsafeRecord`` when it asks
for a global), nothing it names is ever run, the memory it would claim is never allocated, and
every other session still reads and migrates. The migrations run in a real process whose
address space is capped, so a bomb that got through would fail the test instead of the machine.
"""

from __future__ import annotations

import copyreg
import json
import os
import pickle
import resource
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from session_core.errors import CorruptRecord, UnsafeRecord
from session_core.migrate.kedro_shelve import KedroShelveReader
from session_core.stores.shelve import ShelveStore

from .planted import plant_shelf_value

MARKER = "pwned"
#: The address-space cap of the migrating process: far below what any bomb here asks for.
MEMORY_CAP = 2 << 30
EXTENSION_CODE = 0x7FFF_FF01


class Exploit:
    """Pickles as a call of ``func(*args)``."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.func, self.args


def _unicode(text: str) -> bytes:
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data  # SHORT_BINUNICODE


def _memo_bomb() -> bytes:
    """Sixty levels of ``[x, x]`` sharing one object: 1 KiB of pickle, 2**60 items expanded."""
    value: object = ["x" * 100]
    for _ in range(60):
        value = [value, value]
    return pickle.dumps(value, protocol=4)


def _deep_list(levels: int) -> bytes:
    """``[[[...]]]`` nested ``levels`` deep: EMPTY_LIST ``levels`` times, then APPENDs."""
    return b"\x80\x02" + b"]" * levels + b"a" * (levels - 1) + b"."


def hostile_pickles(marker: Path) -> dict[str, tuple[bytes, bool]]:
    """name -> (pickle, whether it asks for a global) for every attack tried here."""
    command = f"touch {marker}"
    out: dict[str, tuple[bytes, bool]] = {
        f"reduce-protocol-{proto}": (pickle.dumps(Exploit(os.system, command), protocol=proto), True)
        for proto in range(6)
    }
    out["stack-global-from-memo"] = (
        b"\x80\x04" + _unicode("os") + b"\x94" + _unicode("system") + b"\x94"
        + b"h\x00h\x01\x93" + _unicode(command) + b"\x85R.",
        True,
    )
    out["global-opcode-text"] = (b"cos\nsystem\n(S'" + command.encode() + b"'\ntR.", True)
    out["persistent-id-text"] = (b"Pboom\n.", True)
    out["persistent-id-binary"] = (b"\x80\x02" + _unicode("boom") + b"Q.", True)
    out["unregistered-extension"] = (b"\x80\x02\x82\xf0.", False)
    out["out-of-band-buffer"] = (
        pickle.dumps(pickle.PickleBuffer(b"data"), protocol=5, buffer_callback=lambda _: False), False
    )
    out["bytes8-claims-a-terabyte"] = (b"\x80\x05\x8e" + struct.pack("<Q", 1 << 40) + b"x.", False)
    out["bytearray8-claims-a-terabyte"] = (b"\x80\x05\x96" + struct.pack("<Q", 1 << 40) + b"x.", False)
    out["memo-index-two-billion"] = (b"\x80\x04" + _unicode("x") + b"r" + struct.pack("<I", 2_000_000_000) + b".", False)
    out["frame-claims-a-terabyte"] = (b"\x80\x04\x95" + struct.pack("<Q", 1 << 40) + b"N.", False)
    out["shared-reference-expansion"] = (_memo_bomb(), False)
    out["nested-100000-deep"] = (_deep_list(100_000), False)
    out["int-of-48000-digits"] = (b"\x80\x02\x8b" + struct.pack("<i", 20_000) + b"\x7f" * 20_000 + b".", False)
    out["truncated"] = (pickle.dumps({"a": 1})[:-3], False)
    return out


@pytest.fixture
def registered_extension():
    """``os.system`` registered as a copyreg extension code, so a pickle can name it by number."""
    module = os.system.__module__  # posix on Linux
    copyreg.add_extension(module, "system", EXTENSION_CODE)
    try:
        yield pickle.dumps(Exploit(os.system, "true"), protocol=2)
    finally:
        copyreg.remove_extension(module, "system", EXTENSION_CODE)


def test_session_core_shelves_refuse_every_hostile_pickle_and_run_nothing(tmp_path: Path, registered_extension: bytes):
    marker = tmp_path / MARKER
    root = tmp_path / "shelves"
    with ShelveStore(root) as store:
        store.write("good-1", {"n": 1})
        store.write("good-2", {"n": 2})
    payloads = {**hostile_pickles(marker), "extension-code": (registered_extension, True)}
    assert b"\x84" in registered_extension and b"system" not in registered_extension  # EXT4, no name
    for name, (data, _) in payloads.items():
        plant_shelf_value(root / f"bad-{name}", "session_core_record", data)
    reported: dict[str, Exception] = {}
    with ShelveStore(root) as store:
        good = [sid for sid, _ in store.iter_records(errors="report", on_error=lambda s, e: reported.setdefault(s, e))]
        for name, (_, names_a_global) in payloads.items():
            with pytest.raises(CorruptRecord) as info:
                store.load(f"bad-{name}")
            assert info.value.session_id == f"bad-{name}"
            assert isinstance(info.value, UnsafeRecord) == names_a_global, name
    assert good == ["good-1", "good-2"]
    assert sorted(reported) == sorted(f"bad-{name}" for name in payloads)
    assert not marker.exists()


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.mark.slow
def test_legacy_kedro_shelves_with_hostile_pickles_migrate_the_rest_in_bounded_memory(tmp_path: Path):
    marker = tmp_path / MARKER
    root = tmp_path / "kedro-sessions"
    good = [f"2024-01-0{i}T10.00.00.000Z" for i in range(1, 4)]
    for session_id in good:
        plant_shelf_value(root / session_id, "session_id", pickle.dumps(session_id),
                          package_name=pickle.dumps("spaceflights"))
    payloads = hostile_pickles(marker)
    bad = {f"2024-02-01T10.00.{i:02d}.000Z": name for i, name in enumerate(payloads)}
    for session_id, name in bad.items():
        plant_shelf_value(root / session_id, "session_id", pickle.dumps(session_id), cli=payloads[name][0])
    dst = tmp_path / "dst.db"
    done = subprocess.run(
        [sys.executable, "-m", "session_core", "migrate", f"kedro-shelve:///{root}", f"sqlite:///{dst}",
         "--json", "--progress", "none"],
        capture_output=True, text=True, timeout=300, preexec_fn=_capped,
    )
    summary = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == 3, done.stderr
    assert (summary["copied"], summary["failed"]) == (len(good), len(bad))
    for session_id in bad:
        assert f"session {session_id}" in done.stderr or repr(session_id) in done.stderr
    assert "MemoryError" not in done.stderr and "RecursionError" not in done.stderr
    assert not marker.exists()
    with KedroShelveReader(root) as reader:
        for session_id, name in bad.items():
            with pytest.raises(CorruptRecord) as info:
                reader.load(session_id)
            assert isinstance(info.value, UnsafeRecord) == payloads[name][1], name
