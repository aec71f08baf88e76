"""Shelve: the toolkit's ShelveStore beside raw ``shelve`` in Kedro's layout.

Kedro's ShelveStore keeps one shelf per session (``<root>/<id>/store``); the raw side writes the
same layout with bare ``shelve`` (``dbm.dumb`` here, as Python has no ``dbm.gnu``) and fsyncs
each shelf's files so a saved record survives a crash, as the store does. It does not lock and
cannot swap atomically: that is what the store adds.
"""

from __future__ import annotations

import json
import os
import shelve
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from session_core.registry import StoreSpec

from . import Records, builtin_spec

FOLDER = "raw"
KEY = "record"


def _save(folder: Path, session_id: str, record: dict[str, Any]) -> None:
    target = folder / session_id
    target.mkdir(exist_ok=True)
    with shelve.open(str(target / "store"), flag="n") as shelf:
        shelf[KEY] = json.dumps(record)
    for name in os.listdir(target):
        fd = os.open(target / name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class ShelveBackend:
    name: str = "shelve"
    #: a shelve save is a folder, three dbm files and their fsyncs: 10,000 take minutes
    default_max_sessions: int = 1_000
    concurrent_saves: int = 60

    def store_spec(self, root: Path) -> StoreSpec:
        return builtin_spec("shelve", str(root / "store"))

    def raw_create(self, root: Path) -> None:
        (root / FOLDER).mkdir(parents=True, exist_ok=True)

    def raw_write_many(self, root: Path, records: Records) -> None:
        for sid, rec in records:
            _save(root / FOLDER, sid, rec)

    def raw_ids(self, root: Path) -> list[str]:
        return sorted(name for name in os.listdir(root / FOLDER) if not name.startswith("."))

    def raw_load_all(self, root: Path) -> int:
        count = 0
        for sid in self.raw_ids(root):
            with shelve.open(str(root / FOLDER / sid / "store"), flag="r") as shelf:
                json.loads(shelf[KEY])
            count += 1
        return count

    def raw_save_one(self, root: Path, session_id: str, record: dict[str, Any]) -> None:
        _save(root / FOLDER, session_id, record)

    def raw_save_each(self, root: Path, records: Records) -> None:
        self.raw_write_many(root, records)


BACKEND = ShelveBackend()
