"""JSON folder: the toolkit's JSONStore on a local folder beside raw atomic file writes.

The raw side writes each record as the store does and as a careful program must for a record
to survive a crash: a temporary file, ``fsync``, ``os.replace``, then one ``fsync`` of the folder
(per batch, or per save for single saves). Loading reads and decodes each file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from session_core.registry import StoreSpec

from . import Records, builtin_spec

FOLDER = "raw"


def _write(folder: Path, session_id: str, data: bytes) -> None:
    tmp = folder / f".{session_id}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, folder / session_id)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class FilesBackend:
    name: str = "json"
    #: two fsyncs per file: 100,000 files take minutes on both sides
    default_max_sessions: int = 10_000
    concurrent_saves: int = 150

    def store_spec(self, root: Path) -> StoreSpec:
        return builtin_spec("json", str(root / "store"))

    def raw_create(self, root: Path) -> None:
        (root / FOLDER).mkdir(parents=True, exist_ok=True)

    def raw_write_many(self, root: Path, records: Records) -> None:
        folder = root / FOLDER
        for sid, rec in records:
            _write(folder, sid, json.dumps(rec).encode())
        _sync_folder(folder)

    def raw_ids(self, root: Path) -> list[str]:
        return sorted(name for name in os.listdir(root / FOLDER) if not name.startswith("."))

    def raw_load_all(self, root: Path) -> int:
        folder = root / FOLDER
        count = 0
        for name in self.raw_ids(root):
            json.loads((folder / name).read_bytes())
            count += 1
        return count

    def raw_save_one(self, root: Path, session_id: str, record: dict[str, Any]) -> None:
        self.raw_save_each(root, [(session_id, record)])

    def raw_save_each(self, root: Path, records: Records) -> None:
        folder = root / FOLDER
        for sid, rec in records:
            _write(folder, sid, json.dumps(rec).encode())
            _sync_folder(folder)


BACKEND = FilesBackend()
