"""Atomic, durable replacement of local files, and the one sweep of what a killed writer left.

Used by every local writer: the file-based backends (JSON folders, shelve) and the spool.

A save writes a temporary file beside the target, named uniquely for the writer
(``.<name>.<pid>.<random>.tmp``, :func:`temp_name`: two processes or threads never share one),
flushes and fsyncs it, then ``os.replace``-s it over the target and fsyncs the folder. A reader
sees the old file or the new one, never a torn one, and a saved file survives the process being
killed. A store that builds a whole folder (a shelf is several files) builds it under a
temporary name too, flushes it with :func:`fsync_tree` and renames it into place.

A writer killed between creating and renaming its temporary entry leaves it behind (measured
here: 28 of 30 kill -9 trials). Temporary names start with ``.``, which no session id or store
file does, so listings skip them; :func:`sweep_temp_files` removes the ones older than an age no
live write reaches.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

#: Matches the temporary names made by :func:`temp_name` (and nothing a store lists).
TEMP_NAME = re.compile(r"^\..+\.\d+\.[0-9a-f]{16}\.tmp$")
#: Temporary entries older than this (seconds) belong to a dead writer: no live write lasts that long.
STALE_AFTER = 3600.0


def temp_name(name: str) -> str:
    """A temporary file name for ``name``, unique to this process and call."""
    return f".{name}.{os.getpid()}.{os.urandom(8).hex()}.tmp"


def write_atomic(
    path: Path, data: bytes, *, sync_folder: bool = True, replace: Callable[[Path, Path], None] = os.replace
) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Args:
        sync_folder: fsync the folder after the rename; a batch passes ``False`` and calls
            :func:`fsync_folder` once at its end.
        replace: renames the written temporary file over ``path``; a folder whose files are
            also removed conditionally renames under its lock (``stores._fsspec.LocalFolder``).

    Raises:
        OSError: the folder is missing or unwritable, the disk is full, ...; the temporary file
            is removed then, and the old content of ``path`` is untouched.
    """
    tmp = write_temp(path, data)
    try:
        replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_folder(path.parent)


def write_temp(path: Path, data: bytes) -> Path:
    """Write ``data`` durably into a new temporary file beside ``path`` (:func:`temp_name`) and
    return it, for the caller to rename over ``path``: a batch renames many at once.

    Raises:
        OSError: as :func:`write_atomic`; the temporary file is removed then.
    """
    tmp = path.with_name(temp_name(path.name))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def fsync_folder(folder: Path) -> None:
    """Make renames inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: folders cannot be opened; NTFS journals renames
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file directly inside ``folder``, then the folder itself."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
    fsync_folder(folder)


def remove(path: Path) -> None:
    """Remove a file or a folder tree; a path that is already gone is fine."""
    try:
        if path.is_dir() and not path.is_symlink():
            import shutil  # with bz2 and lzma: only for a folder

            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def sweep_temp_files(folder: Path, max_age: float = STALE_AFTER, names: Iterable[str] | None = None) -> int:
    """Remove the temporary entries (files or folders) in ``folder`` older than ``max_age`` seconds.

    Args:
        names: the entry names to consider, when the caller just listed the folder; default:
            list it here (a missing folder holds nothing).

    Only names made by :func:`temp_name` are touched. Newer entries may belong to a write in
    progress and are kept. Entries that vanish meanwhile or cannot be removed (a read-only
    store) are skipped. Returns how many were removed.
    """
    if names is None:
        try:
            names = [entry.name for entry in os.scandir(folder)]
        except (FileNotFoundError, NotADirectoryError):
            return 0
    cutoff = time.time() - max_age
    removed = 0
    for name in names:
        if not TEMP_NAME.match(name):
            continue
        path = folder / name
        try:
            if path.lstat().st_mtime < cutoff:
                remove(path)
                removed += 1
        except OSError as exc:
            logger.debug("could not sweep %s: %s", path, exc)
    if removed:
        logger.info("swept %d stale temporary entries left by killed writers in %s", removed, folder)
    return removed
