"""Broken copies of :class:`~session_core.stores.json.JSONStore` (local folder), one bug each."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from session_core.stores.json import LOCAL, JSONStore

from ._registry import breaks

logger = logging.getLogger(__name__)


@breaks(2, "SC-ID-001")
class CaseFoldingStore(JSONStore):
    """Names files by the lower-cased id (written for a case-insensitive filesystem)."""

    def _get(self, session_id: str) -> bytes | None:
        return super()._get(session_id.lower())

    def _put(self, session_id: str, text: str) -> None:
        super()._put(session_id.lower(), text)

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many([(session_id.lower(), text) for session_id, text in items])

    def _delete(self, session_id: str) -> bool:
        return super()._delete(session_id.lower())


@breaks(2, "SC-ID-001", "SC-SEC-002")
class SplitsIdAtDotStore(JSONStore):
    """Stores ``<id>.json`` files and lists ``name.split(".")[0]``: ids with a dot come back cut."""

    def _get(self, session_id: str) -> bytes | None:
        return super()._get(f"{session_id}.json")

    def _put(self, session_id: str, text: str) -> None:
        super()._put(f"{session_id}.json", text)

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many([(f"{session_id}.json", text) for session_id, text in items])

    def _delete(self, session_id: str) -> bool:
        return super()._delete(f"{session_id}.json")

    def _iter_ids(self) -> Iterator[str]:
        for name in self._sessions.names():
            yield name.split(".")[0]


@breaks(6, "SC-RT-007")
class SortsKeysStore(JSONStore):
    """Writes documents with ``sort_keys=True`` ("stable diffs"), so key order is lost."""

    def _put(self, session_id: str, text: str) -> None:
        super()._put(session_id, json.dumps(json.loads(text), sort_keys=True))

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many([(session_id, json.dumps(json.loads(text), sort_keys=True)) for session_id, text in items])


@breaks(10, "SC-FRESH-001")
class CachesNotFoundStore(JSONStore):
    """Remembers which ids were not found (saves a request) until this instance writes them."""

    def _get(self, session_id: str) -> bytes | None:
        missing = self.__dict__.setdefault("_missing", set())
        if session_id in missing:
            return None
        data = super()._get(session_id)
        if data is None:
            missing.add(session_id)
        return data

    def _put(self, session_id: str, text: str) -> None:
        super()._put(session_id, text)
        self.__dict__.setdefault("_missing", set()).discard(session_id)


@breaks(10, "SC-FRESH-001")
class CachedListingStore(JSONStore):
    """Lists the folder once per instance and serves that listing, adding its own writes."""

    def _iter_ids(self) -> Iterator[str]:
        if "_listed" not in self.__dict__:
            self._listed = set(super()._iter_ids())
        yield from sorted(self._listed)

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(items)
        if "_listed" in self.__dict__:
            self._listed.update(session_id for session_id, _ in items)

    def _put(self, session_id: str, text: str) -> None:
        self._put_many([(session_id, text)])


@breaks(12, "SC-LIST-002", "SC-ID-001")
class UnsortedListingStore(JSONStore):
    """Lists ids in the folder's own order (``os.scandir``), not in id order."""

    def _iter_ids(self) -> Iterator[str]:
        with os.scandir(self._sessions.path) as entries:  # type: ignore[attr-defined]
            names = [entry.name for entry in entries if not entry.name.startswith(".")]
        yield from names


@breaks(16, "SC-BAD-002")
class DeleteAlwaysFoundStore(JSONStore):
    """Makes ``delete`` idempotent: deleting an unknown id reports success."""

    def _delete(self, session_id: str) -> bool:
        super()._delete(session_id)
        return True


@breaks(17, "SC-BAD-001", "SC-ISO-001", "SC-BAD-003")
class EmptyRecordForUnknownStore(JSONStore):
    """Answers an unknown id with an empty record ("like Kedro's mapping of a new session")."""

    def _get(self, session_id: str) -> bytes | None:
        data = super()._get(session_id)
        return b"{}" if data is None else data


@breaks(18, "SC-BAD-006")
class UnreadableAsMissingStore(JSONStore):
    """Treats a file it cannot read or parse as absent (logs a warning, returns nothing)."""

    def _get(self, session_id: str) -> bytes | None:
        try:
            data = super()._get(session_id)
            if data is not None:
                json.loads(data)
            return data
        except (OSError, ValueError):
            logger.warning("cannot read session %s, skipping it", session_id)
            return None


@breaks(18, "SC-BAD-006")
class SkipsDamagedRecordsStore(JSONStore):
    """Leaves records it cannot parse out of ``iter_records`` ("a listing must not fail")."""

    def _iter_items(self) -> Iterator[tuple[str, bytes]]:
        for session_id, data in super()._iter_items():
            try:
                json.loads(data)
            except ValueError:
                continue
            yield session_id, data


#: The process-wide listing cache of :class:`SharedListingCacheStore`: folder -> ids.
_LISTINGS: dict[str, set[str]] = {}


@breaks(22, "SC-SHARED-001")
class SharedListingCacheStore(JSONStore):
    """Declares ``shared`` but caches listings per process (object-store listings are slow),
    kept current only by the writes and deletes of that process."""

    def _setup(self, path: Any, **options: Any) -> None:
        super()._setup(path, **options)
        self.capabilities = replace(LOCAL, shared=True)

    def _iter_ids(self) -> Iterator[str]:
        if self._url not in _LISTINGS:
            _LISTINGS[self._url] = set(super()._iter_ids())
        yield from sorted(_LISTINGS[self._url])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many(items)
        _LISTINGS.get(self._url, set()).update(session_id for session_id, _ in items)

    def _put(self, session_id: str, text: str) -> None:
        self._put_many([(session_id, text)])

    def _delete(self, session_id: str) -> bool:
        _LISTINGS.get(self._url, set()).discard(session_id)
        return super()._delete(session_id)


@breaks(25, "SC-COMPACT-001")
class RemovesOnDeleteStore(JSONStore):
    """Deletes by removing the session's object, as format 1 did ("a tombstone is a wasted
    object"), so a deleted session that a segment holds comes back from its segment copy."""

    def _delete(self, session_id: str) -> bool:
        return self._sessions.remove(session_id)
