"""Where a file-based store keeps its database: one rule for SQLite, DuckDB and friends.

Kedro hands a store a folder (``<project>/sessions``); users of a URL name a file
(``duckdb:///runs.duckdb``). A path that ends in one of the store's file suffixes is the database
file itself; any other path is a folder that holds the store's default file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def resolve_db_path(path: Any, *, store: str, suffixes: tuple[str, ...], default_name: str) -> Path:
    """The absolute database file for ``path`` and create its parent folder.

    Raises:
        TypeError: ``path`` is ``None`` (the store needs a location).
        OSError: the parent folder cannot be created (for example a regular file is in the way).
    """
    if path is None:
        raise TypeError(f"{store} needs a path: a {'/'.join(suffixes)} file or a folder")
    db = Path(path).expanduser().absolute()
    if db.suffix.lower() not in suffixes:
        db = db / default_name
    db.parent.mkdir(parents=True, exist_ok=True)
    return db
