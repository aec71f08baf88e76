"""Reading a folder written by Kedro's ``ShelveStore`` (kedro 0.17 to 0.19.8).

Kedro's layout: one shelf per session at ``<path>/<session_id>/store`` (with ``dbm.dumb`` that
is ``store.dat``/``store.dir``/``store.bak``, with ``dbm.ndbm`` ``store.db``, with ``dbm.gnu``
``store``), one shelf key per record key, each value pickled. Kedro wrote ``project_path`` as a
``pathlib`` path, ``git`` as a dict, ``cli`` with tuples in its params.

The shelf is opened with ``dbm`` read-only (shelve's own ``Shelf`` would unpickle with a plain
``pickle.Unpickler``, which is how a crafted shelf ran code in Kedro); each value goes through
:func:`~session_core.migrate.legacy_pickle.loads_legacy`. A refused value raises
:class:`~session_core.errors.UnsafeRecord` naming the session and the key; nothing of that
record is returned, and the other sessions read normally. Loading and conversion are bounded
(size, memo, nesting, expansion: :mod:`session_core.safe_pickle`, :mod:`session_core.values`),
so a shelf built to exhaust memory or the stack is a :class:`CorruptRecord` for its session.
"""

from __future__ import annotations

import dbm
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from session_core import values
from session_core.errors import CorruptRecord, InvalidValue, UnsafeRecord

from ..safe_pickle import RefusedGlobal
from .legacy_pickle import loads_legacy
from .legacy_store import LegacyReader

SHELF_NAME = "store"
#: Files one of the dbm modules leaves for a shelf named ``store``.
SHELF_FILES = ("store", "store.dat", "store.dir", "store.db")
KEY_ENCODING = "utf-8"  # shelve's default keyencoding


class KedroShelveReader(LegacyReader):
    """A Kedro ``ShelveStore`` folder, read-only (``kedro-shelve:///path/to/folder``)."""

    def _open(self, root: Path) -> None:
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder of Kedro session shelves")

    def _iter_ids(self) -> Iterator[str]:
        """Session folders that hold a shelf, ascending; other entries are not sessions."""
        with os.scandir(self._root) as entries:
            names = [entry.name for entry in entries if entry.is_dir() and _holds_shelf(entry.path)]
        yield from sorted(names)

    def _get(self, session_id: str) -> str | None:
        folder = self._root / session_id
        if not _holds_shelf(folder):
            return None
        try:
            with dbm.open(str(folder / SHELF_NAME), "r") as db:
                raw = {key.decode(KEY_ENCODING): db[key] for key in db.keys()}
        except Exception as exc:  # dbm.error, or a damaged dbm.dumb index (ValueError, SyntaxError)
            raise CorruptRecord(self.location, session_id, exc) from exc
        size = sum(len(data) for data in raw.values())
        if size > self.MAX_RECORD_BYTES:
            raise CorruptRecord(self.location, session_id, f"the shelf holds {size} bytes, over the record limit")
        record: dict[str, Any] = {}
        for key in sorted(raw):
            try:
                record[key] = loads_legacy(raw[key], self.MAX_RECORD_BYTES)
            except RefusedGlobal as exc:
                raise UnsafeRecord(self.location, session_id, key, exc.refused) from None
            except Exception as exc:  # a damaged pickle: EOFError, UnpicklingError, ...
                raise CorruptRecord(self.location, session_id, f"value of key {key!r}: {exc!r}") from exc
        try:
            converted = values.to_portable(record, mode=values.Leniency.CONVERT, max_bytes=self.MAX_RECORD_BYTES)
        except InvalidValue as exc:
            raise CorruptRecord(self.location, session_id, exc) from None
        return values.encode(converted)


def _holds_shelf(folder: str | Path) -> bool:
    return any(os.path.exists(os.path.join(folder, name)) for name in SHELF_FILES)
