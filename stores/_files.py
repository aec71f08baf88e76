"""Local-file durability helpers shared by the stores that write files and folders themselves.

A rename is atomic, but only durable once the folder holding the new name is flushed; a file's
bytes are only durable once the file is flushed. Writers build under a name unique to them
(:func:`unique_name`), flush with :func:`fsync_tree`, rename, then :func:`fsync_dir` the parent.
A writer killed before the rename leaves a stray temporary entry; :func:`sweep_stale` removes
those once they are older than any live writer could be.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

logger = logging.getLogger(__name__)

#: Temporary entries older than this (seconds) belong to a dead writer and are removed.
STALE_AFTER = 3600.0


def unique_name(stem: str) -> str:
    """A name no other writer (process, thread or machine sharing the folder) will pick."""
    return f"{stem}.{os.getpid()}.{os.urandom(8).hex()}"


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (new, renamed, removed names); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except (PermissionError, IsADirectoryError):  # Windows cannot open folders
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
    fsync_dir(folder)


def remove(path: Path) -> None:
    """Remove a file or a folder tree; a path that is already gone is fine."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def sweep_stale(folder: Path, max_age: float = STALE_AFTER) -> int:
    """Remove entries of ``folder`` not modified for ``max_age`` seconds; return how many.

    Only for folders that hold nothing but temporary entries. A missing folder holds nothing.
    """
    cutoff = time.time() - max_age
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            stale = entry.stat(follow_symlinks=False).st_mtime < cutoff
        except FileNotFoundError:
            continue
        if stale:
            remove(Path(entry.path))
            removed += 1
    if removed:
        logger.info("removed %d stale temporary entries from %s", removed, folder)
    return removed
