"""Where a file-based store keeps its database: one rule for SQLite, DuckDB and friends.

Kedro hands a store a folder (``<project>/sessions``); users of a URL name a file
(``duckdb:///runs.duckdb``). A path that ends in one of the store's file suffixes is the database
file itself; any other path is a folder that holds the store's default file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from session_core.location import LocalLayout


def db_file(path: Any, *, suffixes: tuple[str, ...], default_name: str) -> Path:
    """The absolute database file for ``path``: ``path`` itself when it ends in one of
    ``suffixes``, else ``default_name`` inside the folder ``path``."""
    db = Path(path).expanduser().absolute()
    return db if db.suffix.lower() in suffixes else db / default_name


def db_layout(path: Path, *, suffixes: tuple[str, ...], default_name: str) -> LocalLayout:
    """The :class:`~session_core.location.LocalLayout` of a one-file database store."""
    db = db_file(path, suffixes=suffixes, default_name=default_name)
    return LocalLayout(root=db, marker=db, folder=False)


def resolve_db_path(path: Any, *, store: str, suffixes: tuple[str, ...], default_name: str) -> Path:
    """The absolute database file for ``path`` and create its parent folder.

    Raises:
        TypeError: ``path`` is ``None`` (the store needs a location).
        OSError: the parent folder cannot be created (for example a regular file is in the way).
    """
    if path is None:
        raise TypeError(f"{store} needs a path: a {'/'.join(suffixes)} file or a folder")
    db = db_file(path, suffixes=suffixes, default_name=default_name)
    db.parent.mkdir(parents=True, exist_ok=True)
    return db
