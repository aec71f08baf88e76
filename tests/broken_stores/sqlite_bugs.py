"""Broken copies of :class:`~session_core.stores.sqlite.SQLiteStore`, one bug each."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from session_core import values
from session_core.errors import FormatVersionError
from session_core.ids import validate_session_id
from session_core.store import Capabilities
from session_core.stores.sqlite import SQLiteStore

from ._registry import breaks

logger = logging.getLogger(__name__)


def _rewrite(items: list[tuple[str, str]], change: Any) -> list[tuple[str, str]]:
    return [(session_id, json.dumps(change(json.loads(text)))) for session_id, text in items]


def _map_numbers(value: Any, change: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return change(value)
    if isinstance(value, list):
        return [_map_numbers(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _map_numbers(item, change) for key, item in value.items()}
    return value


# ---------------------------------------------------------------------------------- ids


@breaks(1, "SC-SEC-001")
class AcceptsTraversalStore(SQLiteStore):
    """Overrides ``write`` to accept "legacy" ids: the template's ``write`` minus the id check."""

    def write(self, session_id: str, record: Mapping[str, Any]) -> None:
        text = values.encode(values.to_portable(dict(record)))
        with self._guard(f"write of session {session_id!r}"):
            self._put(session_id, text)


@breaks(2, "SC-ID-001", "SC-SEC-002")
class NumericIdColumnStore(SQLiteStore):
    """Declares the id column NUMERIC: "0", "00" and "0.0" become one integer key."""

    def _init_schema(self) -> None:
        self._conn.execute("CREATE TABLE IF NOT EXISTS sessions (id NUMERIC PRIMARY KEY, record TEXT NOT NULL)")
        super()._init_schema()


@breaks(3, "SC-ISO-001", "SC-ID-001")
class LeakyStore(SQLiteStore):
    """Looks a session up with ``LIKE id%``, so an unknown id finds another session's record."""

    def _get(self, session_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT record FROM sessions WHERE id LIKE ? || '%' ORDER BY id LIMIT 1", (session_id,)
        ).fetchone()
        return None if row is None else row[0]


# ---------------------------------------------------------------------------------- values


@breaks(4, "SC-RT-001", "SC-STATE-001")
class DropsNoneStore(SQLiteStore):
    """Skips top-level keys whose value is None (a store mapping keys to NULL-less columns)."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(_rewrite(items, lambda record: {k: v for k, v in record.items() if v is not None}))


@breaks(4, "SC-RT-001", "SC-RT-004", "SC-PERSIST-003")
class IntsToFloatsStore(SQLiteStore):
    """Numbers pass through a float64 column, so every int comes back a float."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(_rewrite(items, lambda record: _map_numbers(record, float)))


@breaks(4, "SC-RT-001", "SC-RT-004")
class BigIntsLoseDigitsStore(SQLiteStore):
    """Ints beyond 64 bits are stored as doubles (a BIGINT column with a DOUBLE fallback)."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        fits = lambda number: number if -(2**63) <= number < 2**63 else float(number)  # noqa: E731
        super()._put_many(_rewrite(items, lambda record: _map_numbers(record, fits)))


@breaks(5, "SC-RT-006")
class TruncatesLargeStore(SQLiteStore):
    """Cuts a record's text at 16 MiB "to protect the database", without telling anyone, while
    declaring that it takes records of up to 64 MiB (so the core's size check lets them through)."""

    LIMIT = 16 << 20
    MAX_RECORD_BYTES = 64 << 20

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many([(session_id, text[: self.LIMIT]) for session_id, text in items])


@breaks(6, "SC-RT-007")
class DecodesJsonStringsStore(SQLiteStore):
    """Decodes string values that hold JSON objects or lists ("values were double-encoded once")."""

    def _get(self, session_id: str) -> str | None:
        text = super()._get(session_id)
        if text is None:
            return None
        record = json.loads(text)
        for key, value in record.items():
            if isinstance(value, str) and value[:1] in "{[":
                try:
                    record[key] = json.loads(value)
                except ValueError:
                    pass
        return json.dumps(record)


@breaks(6, "SC-RT-007", "SC-PERSIST-001")
class KeysByRecordIdStore(SQLiteStore):
    """Files a record under its own ``session_id`` key when it has one (Kedro records do)."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        keyed = []
        for session_id, text in items:
            inner = json.loads(text).get("session_id")
            keyed.append((inner if isinstance(inner, str) else session_id, text))
        super()._put_many(keyed)


@breaks(7, "SC-RT-005", "SC-BAD-005")
class LenientWriteStore(SQLiteStore):
    """Overrides ``write`` to store anything JSON can print (``default=str``) "for convenience"."""

    def write(self, session_id: str, record: Mapping[str, Any]) -> None:
        validate_session_id(session_id)
        text = json.dumps(dict(record), default=str)
        with self._guard(f"write of session {session_id!r}"):
            self._put(session_id, text)


@breaks(7, "SC-BAD-005")
class WritesAsItValidatesStore(SQLiteStore):
    """Overrides ``write_many`` to write each record as soon as it is checked (to save memory)."""

    def write_many(self, records: Any, batch_size: int | None = None) -> int:
        written = 0
        for session_id, record in records:
            self.write(session_id, record)
            written += 1
        return written


# ---------------------------------------------------------------------------------- persistence


@breaks(8, "SC-PERSIST-003", "SC-BATCH-001")
class MergesOnSaveStore(SQLiteStore):
    """Merges a save into the stored record (``json_patch``) instead of replacing it."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        def transaction() -> None:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO sessions (id, record) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET record = json_patch(record, excluded.record)",
                items,
            )
            self._conn.execute("COMMIT")

        self._locked(transaction, "merge")


@breaks(8, "SC-PERSIST-001", "SC-PERSIST-003")
class MappingStartsEmptyStore(SQLiteStore):
    """Opens without reading the session ("saves a query"): a new mapping starts empty."""

    def __init__(self, path: Any = None, session_id: str | None = None, **options: Any) -> None:
        super().__init__(path, None, **options)
        self._session_id = None if session_id is None else validate_session_id(session_id)


@breaks(9, "SC-CRASH-001")
class CommitsAtCloseStore(SQLiteStore):
    """Keeps one transaction open and commits it at ``close()`` (fewer fsyncs, faster saves)."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")
        self._conn.executemany(
            "INSERT INTO sessions (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            items,
        )

    def _close(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")
        super()._close()


# ---------------------------------------------------------------------------------- freshness


@breaks(10, "SC-FRESH-001", "SC-STATE-002")
class CachesReadsStore(SQLiteStore):
    """Remembers every record (and every miss) it read, per instance, and serves them again."""

    def _get(self, session_id: str) -> str | None:
        cache = self.__dict__.setdefault("_cache", {})
        if session_id not in cache:
            cache[session_id] = super()._get(session_id)
        return cache[session_id]

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(items)
        self.__dict__.setdefault("_cache", {}).update(items)

    def _delete(self, session_id: str) -> bool:
        self.__dict__.setdefault("_cache", {})[session_id] = None
        return super()._delete(session_id)


#: The process-wide cache of :class:`ProcessCacheStore`: database file -> id -> record text.
_PROCESS_CACHE: dict[str, dict[str, str | None]] = {}


@breaks(11, "SC-FRESH-002")
class ProcessCacheStore(SQLiteStore):
    """Shares one read cache between the instances of a process, kept current by their own writes."""

    def _cache(self) -> dict[str, str | None]:
        return _PROCESS_CACHE.setdefault(str(self._db), {})

    def _get(self, session_id: str) -> str | None:
        cache = self._cache()
        if session_id not in cache:
            cache[session_id] = super()._get(session_id)
        return cache[session_id]

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(items)
        self._cache().update(items)

    def _delete(self, session_id: str) -> bool:
        self._cache()[session_id] = None
        return super()._delete(session_id)


# ---------------------------------------------------------------------------------- listing


@breaks(12, "SC-LIST-005")
class OffsetPagingStore(SQLiteStore):
    """Lists in pages of ``LIMIT 100 OFFSET n``, one query per page (a change shifts the pages)."""

    PAGE = 100

    def _iter_ids(self) -> Iterator[str]:
        offset = 0
        while rows := self._conn.execute(
            "SELECT id FROM sessions ORDER BY id LIMIT ? OFFSET ?", (self.PAGE, offset)
        ).fetchall():
            yield from (session_id for (session_id,) in rows)
            offset += len(rows)


@breaks(12, "SC-LIST-003")
class RepeatsPageBoundaryStore(SQLiteStore):
    """Keyset pages written ``WHERE id >= last``: the last id of a page is listed again."""

    PAGE = 500

    def _iter_ids(self) -> Iterator[str]:
        last = ""
        while True:
            rows = self._conn.execute(
                "SELECT id FROM sessions WHERE id >= ? ORDER BY id LIMIT ?", (last, self.PAGE)
            ).fetchall()
            yield from (session_id for (session_id,) in rows)
            if len(rows) < self.PAGE:
                return
            last = rows[-1][0]


@breaks(13, "SC-LIST-006", "SC-ISO-002")
class SoftDeleteStore(SQLiteStore):
    """Deletes by writing a tombstone, which reads hide but listing does not."""

    TOMBSTONE = '{"__deleted__": true}'

    def _get(self, session_id: str) -> str | None:
        text = super()._get(session_id)
        return None if text == self.TOMBSTONE else text

    def _delete(self, session_id: str) -> bool:
        cursor = self._locked(
            lambda: self._conn.execute("UPDATE sessions SET record = ? WHERE id = ?", (self.TOMBSTONE, session_id)),
            "delete",
        )
        return cursor.rowcount > 0


@breaks(13, "SC-LIST-006")
class SkipsEmptyRecordsStore(SQLiteStore):
    """Leaves empty records out of listings ("placeholders, nothing to show")."""

    def _iter_ids(self) -> Iterator[str]:
        for rows in self._stream("SELECT id FROM sessions WHERE record != '{}' ORDER BY id"):
            yield from (session_id for (session_id,) in rows)

    def _iter_items(self) -> Iterator[tuple[str, str]]:
        for rows in self._stream("SELECT id, record FROM sessions WHERE record != '{}' ORDER BY id"):
            yield from rows


@breaks(14, "SC-LIST-004")
class LoadsAllToListStore(SQLiteStore):
    """Lists ids by fetching every row, records included, then dropping the records."""

    def _iter_ids(self) -> Iterator[str]:
        rows = self._conn.execute("SELECT id, record FROM sessions ORDER BY id").fetchall()
        return iter([session_id for session_id, _ in rows])


# ---------------------------------------------------------------------------------- batches


@breaks(15, "SC-BATCH-001")
class DropsBatchRemainderStore(SQLiteStore):
    """Writes a batch in chunks of 5 and drops the last, partial chunk (an off-by-one range)."""

    CHUNK = 5

    def _put(self, session_id: str, text: str) -> None:
        super()._put_many([(session_id, text)])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        for start in range(0, len(items) - self.CHUNK + 1, self.CHUNK):
            super()._put_many(items[start : start + self.CHUNK])


@breaks(15, "SC-BATCH-001")
class BatchKeepsExistingStore(SQLiteStore):
    """Batches use ``INSERT OR IGNORE`` ("a migration never overwrites"), so no record is replaced."""

    def _put(self, session_id: str, text: str) -> None:
        super()._put_many([(session_id, text)])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        def transaction() -> None:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("INSERT OR IGNORE INTO sessions (id, record) VALUES (?, ?)", items)
            self._conn.execute("COMMIT")

        self._locked(transaction, "batch write")


# ---------------------------------------------------------------------------------- delete


@breaks(16, "SC-ISO-002")
class DeletesByPrefixStore(SQLiteStore):
    """Deletes ``WHERE id LIKE id%``, taking every session whose id extends the one named."""

    def _delete(self, session_id: str) -> bool:
        cursor = self._locked(
            lambda: self._conn.execute("DELETE FROM sessions WHERE id LIKE ? || '%'", (session_id,)), "delete"
        )
        return cursor.rowcount > 0


@breaks(21, "SC-BAD-004", "SC-BAD-002", "SC-ISO-002")
class ClaimsDeleteStore(SQLiteStore):
    """Declares ``delete`` (the default capabilities) but deleting silently does nothing."""

    capabilities = Capabilities(delete=True)

    def _delete(self, session_id: str) -> bool:
        return True


# ---------------------------------------------------------------------------------- errors


@breaks(18, "SC-BAD-006")
class RecreatesDamagedDatabaseStore(SQLiteStore):
    """Starts a new, empty database when the file cannot be opened ("self-healing")."""

    def _setup(self, path: Any, timeout: float = 30.0) -> None:
        try:
            super()._setup(path, timeout)
        except Exception:
            logger.warning("damaged database at %s: starting a new one", path)
            database = Path(path) / "session_store.db" if Path(path).suffix != ".db" else Path(path)
            for leftover in database.parent.glob(f"{database.name}*"):
                leftover.rmdir() if leftover.is_dir() else leftover.unlink()
            super()._setup(path, timeout)


@breaks(19, "SC-BAD-003")
class CloseKeepsWorkingStore(SQLiteStore):
    """Makes ``close()`` a no-op ("Kedro never closes a store; keep the connection")."""

    def close(self) -> None:
        logger.debug("close() ignored")


@breaks(20, "SC-VER-001", "SC-VER-002")
class IgnoresFormatVersionStore(SQLiteStore):
    """Never reads the format version back, so any version opens."""

    def _stored_format_version(self) -> int | None:
        return None


@breaks(20, "SC-VER-003")
class ChecksFormatVersionAtCloseStore(SQLiteStore):
    """Checks the format version only at close ("one query fewer at open"), after what it let through."""

    def _format_version_at_open(self) -> int | None:
        return None

    def _close(self) -> None:
        found = self._stored_format_version()
        super()._close()
        if found is not None and found != self.FORMAT_VERSION:
            raise FormatVersionError(self.location, found, self.FORMAT_VERSION)


@breaks(20, "SC-VER-002")
class UpgradesOlderInPlaceStore(SQLiteStore):
    """Rewrites an older format version number in place at open (no backup, no real upgrade)."""

    def _stored_format_version(self) -> int | None:
        found = super()._stored_format_version()
        if found is not None and found < self.FORMAT_VERSION:
            self._conn.execute(
                "UPDATE session_core_meta SET value = ? WHERE key = 'format_version'", (str(self.FORMAT_VERSION),)
            )
            return self.FORMAT_VERSION
        return found


# ---------------------------------------------------------------------------------- atomicity


@breaks(24, "SC-CONC-003", "SC-CRASH-001")
class NonAtomicStore(SQLiteStore):
    """Writes a record in two commits (the first half, then the whole): a torn record in between."""

    SECOND_HALF_DELAY_S = 0.02

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many([(session_id, text[: len(text) // 2]) for session_id, text in items])
        time.sleep(self.SECOND_HALF_DELAY_S)
        super()._put_many(items)
