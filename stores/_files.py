"""Folder-level durability helpers (one file at a time is :mod:`session_core.stores._atomic`'s job).

A store that builds a whole folder (a shelf is several files) builds it under a temporary name,
flushes it with :func:`fsync_tree`, renames it into place and flushes the parent with
:func:`session_core.stores._atomic.fsync_folder`. A writer killed before the rename leaves its temporary
folder behind; :func:`sweep_stale` removes such entries once they are older than any live
writer could be.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from ._atomic import fsync_folder

logger = logging.getLogger(__name__)

#: Temporary entries older than this (seconds) belong to a dead writer and are removed.
STALE_AFTER = 3600.0


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
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def sweep_stale(folder: Path, max_age: float = STALE_AFTER) -> int:
    """Remove the entries of ``folder`` not modified for ``max_age`` seconds; return how many.

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
        logger.info("removed %d stale temporary entries left by killed writers in %s", removed, folder)
    return removed
