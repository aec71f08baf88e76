"""Shelve store: one shelf per session, swapped in atomically, read without running stored code.

Layout (format version 1), Kedro's own layout plus hidden housekeeping::

    <root>/<session_id>/store*      one shelf per session; key "session_core_record" -> JSON text
    <root>/.session_core_format     the format version, e.g. "1"
    <root>/.lock                    the file lock taken around every swap and read
    <root>/.tmp/                    shelves being built, and deleted sessions on their way out
    <root>/.old/<session_id>/       the previous shelf while a save swaps the new one in

Why this shape: Python here has no ``dbm.gnu``, so ``shelve`` falls back to ``dbm.dumb``, which
rewrites its index on close (a kill -9 there left whole shelves silently empty) and loses writes
of concurrent writers. So no shelf is ever modified in place. A save builds a complete shelf in a
folder of its own under ``.tmp`` (flushed to disk), then, holding the lock, moves the current
folder to ``.old/<id>`` and the new one to ``<id>``, and drops the old one. A writer killed at any
point leaves either the old folder or the new one; whoever takes the lock next finishes the job
(an ``.old/<id>`` whose ``<id>`` is missing is moved back, one whose ``<id>`` exists is removed).
Readers take the lock too, because ``dbm.dumb`` reads its index and its data file separately.
Whatever ``dbm`` module Python picks works, since a shelf's files all live in its folder.

Reading never runs stored code: records are read with :func:`session_core.safe_pickle.restricted_loads`,
which refuses every global, so a crafted shelf raises :class:`UnsafeRecord` (a
:class:`CorruptRecord`) instead of running anything. A folder written by Kedro's own
``ShelveStore`` (one shelf key per record key) is not read as records here: it raises
:class:`CorruptRecord`; copy it with ``migrate kedro-shelve:///folder DST``.
"""

from __future__ import annotations

import contextlib
import dbm
import os
import shelve
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from session_core.atomic import fsync_folder, fsync_tree, remove, sweep_temp_files, temp_name, write_atomic
from session_core.errors import CorruptRecord, UnsafeRecord
from session_core.safe_pickle import RefusedGlobal, restricted_loads
from session_core.location import LocalLayout
from session_core.store import SessionStore

from ._filelock import StoreLock

RECORD_KEY = "session_core_record"
SHELF_NAME = "store"
VERSION_FILE = ".session_core_format"
LOCK_FILE = ".lock"
TMP_DIR = ".tmp"
OLD_DIR = ".old"
#: Bytes a pickle adds around the record's text (opcodes, length, frame).
PICKLE_OVERHEAD = 64
#: Records read per lock turn when streaming them all.
READ_PAGE = 200


class ShelveStore(SessionStore):
    """Sessions as shelves in a folder, one subfolder per session (Kedro's layout).

    Options:
        timeout: seconds to wait for another process's lock before :class:`StoreTimeout`.
    """

    @classmethod
    def local_layout(cls, path: Path) -> LocalLayout:
        return LocalLayout(root=path, marker=path / VERSION_FILE, folder=True)

    def _setup(self, path: Any, timeout: float = 30.0) -> None:
        if path is None:
            raise TypeError("ShelveStore needs a path: the folder holding the shelves")
        self._root = Path(path).expanduser().absolute()
        for folder in (self._root, self._root / TMP_DIR, self._root / OLD_DIR):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock = StoreLock(self._root / LOCK_FILE, float(timeout))
        with self._locked("open"):
            if not (self._root / VERSION_FILE).exists():
                write_atomic(self._root / VERSION_FILE, str(self.FORMAT_VERSION).encode("ascii"))
            for session_id in self._interrupted_swaps():
                self._recover(session_id)
        sweep_temp_files(self._root / TMP_DIR)

    def _location(self) -> str:
        return str(self._root)

    # ------------------------------------------------------------------ locking and recovery

    def _locked(self, operation: str) -> contextlib.AbstractContextManager[None]:
        return self._lock.hold(self.location, operation)

    def _interrupted_swaps(self) -> list[str]:
        with os.scandir(self._root / OLD_DIR) as entries:
            return [entry.name for entry in entries]

    def _recover(self, session_id: str) -> None:
        """Finish a swap a killed writer left half done (call with the lock held)."""
        old = self._root / OLD_DIR / session_id
        if not os.path.lexists(old):
            return
        current = self._root / session_id
        if os.path.lexists(current):
            remove(old)
        else:
            os.rename(old, current)
            fsync_folder(self._root)

    def _stored_format_version(self) -> int | None:
        try:
            text = (self._root / VERSION_FILE).read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        return int(text.strip())

    # ------------------------------------------------------------------ primitives

    def _get(self, session_id: str) -> str | None:
        with self._locked(f"read of session {session_id!r}"):
            return self._read_current(session_id)

    def _read_current(self, session_id: str) -> str | None:
        """The record of one session, the lock held by the caller."""
        self._recover(session_id)
        folder = self._root / session_id
        if not folder.is_dir():
            return None
        return self._read_shelf(session_id, folder / SHELF_NAME)

    def _iter_items(self) -> Iterator[tuple[str, str]]:
        """One lock turn per page of records rather than per record."""
        ids = self._iter_ids()
        while page := list(islice(ids, READ_PAGE)):
            with self._locked(f"read of {len(page)} sessions"):
                texts = [(session_id, self._read_current(session_id)) for session_id in page]
            yield from ((session_id, text) for session_id, text in texts if text is not None)

    def _read_shelf(self, session_id: str, shelf: Path) -> str:
        try:
            with dbm.open(str(shelf), "r") as db:
                data = db.get(RECORD_KEY.encode())
        except Exception as exc:  # dbm.error, a damaged dbm.dumb index (ValueError, SyntaxError)
            raise CorruptRecord(self.location, session_id, f"the shelf cannot be opened: {exc!r}") from exc
        if data is None:
            raise CorruptRecord(
                self.location,
                session_id,
                f"the shelf holds no {RECORD_KEY!r} key: not written by session-core "
                "(a Kedro shelve folder is copied with `migrate kedro-shelve:///FOLDER DST`)",
            )
        try:
            text = restricted_loads(data, max_bytes=self.MAX_RECORD_BYTES + PICKLE_OVERHEAD)
        except RefusedGlobal as exc:
            raise UnsafeRecord(self.location, session_id, RECORD_KEY, exc.refused) from None
        except Exception as exc:  # a damaged pickle: EOFError, UnpicklingError, ValueError, ...
            raise CorruptRecord(self.location, session_id, exc) from exc
        if not isinstance(text, str):
            raise CorruptRecord(
                self.location, session_id, f"record is a {type(text).__name__}, not JSON text"
            )
        return text

    def _put(self, session_id: str, text: str) -> None:
        self._put_many([(session_id, text)])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        """Build every shelf outside the lock, then swap them all in under one lock.

        The lock is held for the renames and one folder fsync (two when a session was
        replaced): the replaced shelves are renamed into ``.tmp`` under the lock and deleted
        after it, so writers of other sessions do not wait for those deletions.
        """
        built: list[tuple[str, Path]] = []
        obsolete: list[Path] = []
        try:
            for session_id, text in items:
                built.append((session_id, self._build(text)))
            with self._locked(f"write of {len(items)} sessions"):
                replaced = [old for session_id, folder in built for old in self._swap_in(session_id, folder)]
                fsync_folder(self._root)
                if replaced:  # only then did .old change
                    fsync_folder(self._root / OLD_DIR)
                for old in replaced:  # done with: out of .old, where the next save of its id would go
                    trash = self._root / TMP_DIR / temp_name("replaced")
                    os.rename(old, trash)
                    obsolete.append(trash)
        finally:
            for folder in [*(folder for _, folder in built), *obsolete]:
                remove(folder)

    def _build(self, text: str) -> Path:
        """A complete, flushed shelf holding ``text`` in a fresh folder under ``.tmp``."""
        folder = self._root / TMP_DIR / temp_name("shelf")
        folder.mkdir()
        try:
            with shelve.open(str(folder / SHELF_NAME), flag="n") as shelf:
                shelf[RECORD_KEY] = text
            remove(folder / f"{SHELF_NAME}.bak")  # dbm.dumb's index before its one commit: never read
            fsync_tree(folder)
        except BaseException:
            remove(folder)
            raise
        return folder

    def _swap_in(self, session_id: str, folder: Path) -> list[Path]:
        """Move ``folder`` to ``<id>``, the current one aside; return what is now obsolete."""
        self._recover(session_id)
        current = self._root / session_id
        old = self._root / OLD_DIR / session_id
        moved = os.path.lexists(current)
        if moved:
            os.rename(current, old)
        os.rename(folder, current)
        return [old] if moved else []

    def _delete(self, session_id: str) -> bool:
        trash = self._root / TMP_DIR / temp_name("deleted")
        with self._locked(f"delete of session {session_id!r}"):
            self._recover(session_id)
            current = self._root / session_id
            if not current.is_dir():
                return False
            os.rename(current, trash)
            fsync_folder(self._root)
        remove(trash)
        return True

    def _iter_ids(self) -> Iterator[str]:
        """Session folders by name (ids never start with a dot, housekeeping always does).

        A session whose save was interrupted mid-swap sits in ``.old`` until the next access
        finishes the swap; it is listed all the same.
        """
        with os.scandir(self._root) as entries:
            names = [e.name for e in entries if e.name[0] != "." and e.is_dir()]
        interrupted = set(self._interrupted_swaps()).difference(names)
        names.extend(interrupted)
        names.sort()
        yield from names
