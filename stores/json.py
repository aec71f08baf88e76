"""JSON store: one JSON document per session on any fsspec filesystem, chosen by URL.

``JSONStore(path, session_id, storage_options=None, temp_max_age=3600.0)`` where ``path`` is a
local folder (``runs/`` or ``file:///srv/runs``), ``memory://name`` or any fsspec URL
(``s3://bucket/prefix``, ``gs://...``). ``storage_options`` is passed to fsspec as is (for S3:
``endpoint_url``, ``key``, ``secret``, ``profile``, ``client_kwargs``, ``config_kwargs``, ...); it
never appears in :attr:`location`, logs or records. For S3 the store fills in short botocore
timeouts and 3 attempts unless ``config_kwargs`` sets them (see
:data:`session_core.stores._fsspec.S3_CONFIG_DEFAULTS`), so an endpoint that does not answer fails in seconds
with :class:`~session_core.errors.StoreTimeout`.

Layout (format version 2)::

    <root>/session_core.json     {"format": "session-core-json", "format_version": 2}
    <root>/sessions/<id>         one session's record, JSON text (Content-Type application/json),
                                 or a tombstone (a deleted session, on stores that compact)
    <root>/segments/...          compacted sessions (:mod:`._segments`), after a first compaction

The key of a session is its bare id, with no ``.json`` suffix: object stores list keys in
ascending byte order, and only then is key order id order. With ``<id>.json`` the id ``a-b``
(key ``a-b.json``) would be listed before ``a`` (key ``a.json``) because ``-`` sorts before
``.``, and no bounded buffer can restore id order (every ``x-...`` key may still be followed by
``x.json``). Ids cannot start with ``.``, so the local temporary files (``.<id>.<pid>.<rand>.tmp``)
are never taken for sessions.

Costs (S3): opening a store is one GET of the marker (plus one PUT the first time); a save is
one PUT, a load one GET, nothing else; ``write_many`` sends concurrent PUTs (fsspec's batch
``pipe``); listing sends one ``ListObjectsV2`` per 1,000 sessions, streamed in order, so a
million sessions cost 1,000 LIST requests (and ``iter_records`` a GET per session on top,
fetched concurrently a page at a time) until :meth:`JSONStore.compact` folds them into segments
and removes their objects: then a LIST of what was saved since and a GET per segment of 10,000.
Deleting costs a GET (to report a missing session) and a PUT of a tombstone (a HEAD and a
DELETE on filesystems that do not compact).

Local folders write each record atomically (temporary file, fsync, rename) and sweep temporary
files older than ``temp_max_age`` seconds, left by killed writers, when the folder is listed.
Listing a local folder holds the sorted names (not the records) in memory.

Capabilities depend on the filesystem, so each instance sets its own: a local folder and object
storage are persistent, multi-process and crash safe (object storage is also ``shared`` across
machines); other fsspec filesystems are not declared crash safe, since their single writes are
not known to be atomic. ``memory://`` lives in one process only; it has its own class,
:class:`MemoryJSONStore`, which the registry names for ``memory`` and ``memory://`` so that
what the class declares (and the conformance suite reads) is true of every instance.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from session_core.errors import InvalidSessionId, NotSupported, StoreError, StoreNotFound, StoreTimeout
from session_core.ids import valid_ids, validate_session_id
from session_core.location import LocalLayout
from session_core.store import Capabilities, FormatUpgrade, SessionStore

from ._fsspec import (
    OBJECT_STORE_PROTOCOLS,
    TOMBSTONE,
    Folder,
    LocalFolder,
    is_unreachable,
    open_filesystem,
    open_folder,
    protocols,
)
from ._compaction import LISTING_HELD, Compaction, compact, is_finished
from ._segment_query import compacted_relation
from ._segments import SEGMENTS_FOLDER, SUFFIX as SEGMENT_SUFFIX, Segments, merged, read_manifest

logger = logging.getLogger(__name__)

MARKER_NAME = "session_core.json"
SESSIONS_FOLDER = "sessions"
FORMAT_NAME = "session-core-json"
#: Valid session ids as a regular expression (see :mod:`session_core.ids`), for SQL readers.
SQL_ID_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#: How many records ``iter_records`` fetches at once from object storage.
READ_PAGE = 100
#: How many segment copies at most wait for an object read that comes before them in id order.
WAITING_MAX = 1_000

#: Protocols whose conditional requests compaction uses (``If-Match`` on PUT and DELETE).
COMPACTABLE_PROTOCOLS = frozenset({"s3", "s3a"})

LOCAL = Capabilities(persistent=True, multiprocess=True, crash_safe=True, shared=False, compaction=True)
S3 = Capabilities(persistent=True, multiprocess=True, crash_safe=True, shared=True, compaction=True)
OBJECT_STORE = Capabilities(persistent=True, multiprocess=True, crash_safe=True, shared=True)
MEMORY = Capabilities(persistent=True, durable=False, multiprocess=False, crash_safe=False, shared=False)
OTHER_FILESYSTEM = Capabilities(persistent=True, multiprocess=True, crash_safe=False, shared=False)


def capabilities_for(fs_protocols: set[str], local: bool) -> Capabilities:
    """What a JSON store can promise on a filesystem with these protocol names."""
    if local:
        return LOCAL
    if "memory" in fs_protocols:
        return MEMORY
    if fs_protocols & COMPACTABLE_PROTOCOLS:
        return S3
    if fs_protocols & OBJECT_STORE_PROTOCOLS:
        return OBJECT_STORE
    return OTHER_FILESYSTEM


def _text(data: bytes) -> str | bytes:
    """A stored record as the core's stream decoder reads it fastest: ``str``. Bytes that are
    not UTF-8 stay bytes, so that decoding them reports that one session as corrupt."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


class JSONStore(SessionStore):
    """Sessions as JSON documents, one per session, on a local folder, memory or object storage.

    Options:
        storage_options: fsspec options for the filesystem (credentials, endpoint, ...).
        temp_max_age: seconds after which a local temporary file counts as abandoned.
        compact_every: compact (:meth:`compact`) after every this many finished sessions this
            instance saved; 0 (the default) never compacts by itself. Local folders and S3 only.

    Raises (on open):
        TypeError: no path, or an unknown option.
        StoreError: the location cannot be used (for a missing S3 bucket the cause is a
            ``FileNotFoundError`` whose ``filename`` is the bucket).
        StoreTimeout: the endpoint did not answer within the bounded retries.
        StoreNotFound: opened by a reader (``create=False``) where no store is (no marker).
    """

    capabilities = LOCAL
    #: 2: compaction removes folded objects and deletes leave tombstones (version 1 code would
    #: miss the folded sessions and read tombstones as corrupt records).
    FORMAT_VERSION = 2
    UPGRADABLE_FROM = frozenset({1})

    @classmethod
    def local_layout(cls, path: Path) -> LocalLayout:
        return LocalLayout(root=path, marker=path / MARKER_NAME, folder=True)

    def _setup(
        self,
        path: Any,
        storage_options: dict[str, Any] | None = None,
        temp_max_age: float = 3600.0,
        compact_every: int = 0,
    ) -> None:
        if path is None:
            raise TypeError("JSONStore needs a path: a local folder or an fsspec URL (s3://bucket/prefix)")
        url = os.fspath(path)
        if not isinstance(url, str):
            raise TypeError(f"JSONStore path must be a str or a path, not {type(path).__name__}")
        self._url = url if url.endswith("://") else url.rstrip("/")
        fs, root = open_filesystem(url, storage_options or {})
        self._root: Folder = open_folder(fs, root, temp_max_age=temp_max_age)
        local = isinstance(self._root, LocalFolder)
        if local:
            self._url = root
        self.capabilities = capabilities_for(protocols(fs), local)
        self._compactable = self.capabilities.compaction
        self._sessions: Folder = open_folder(
            fs, f"{root}/{SESSIONS_FOLDER}", temp_max_age=temp_max_age, guarded=self._compactable
        )
        # not created before the first compaction: opening a store to read adds no folder
        self._segments: Folder = open_folder(
            fs, f"{root}/{SEGMENTS_FOLDER}", temp_max_age=temp_max_age, create=False, guarded=self._compactable
        )
        self._segments_read: Segments | None = None
        if not isinstance(compact_every, int) or compact_every < 0:
            raise TypeError(f"compact_every must be a whole number >= 0 (0: never), not {compact_every!r}")
        if compact_every and not self._compactable:
            raise TypeError("compact_every needs a local folder or S3 (compaction uses their conditional writes)")
        self._compact_every = compact_every
        self._finished_since_compaction = 0
        self._version = self._read_or_create_marker()

    @classmethod
    def backup_for_upgrade(cls, path: Any, found: int, location: str, **options: Any) -> Path:
        """A copy of the marker beside it: upgrading from format 1 changes nothing else that is
        not derived (the format 1 segments, removed, are copies of per-session objects)."""
        root = cls._folder_of(path, options)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{MARKER_NAME}.format{found}-backup-{stamp}"
        marker = root.read(MARKER_NAME)
        if marker is None:
            raise StoreError(location, "backup", f"{MARKER_NAME} is missing")
        root.write(name, marker)
        return Path(getattr(root, "path", "")) / name

    @classmethod
    def upgrade_format(cls, path: Any, found: int, location: str, **options: Any) -> FormatUpgrade:
        """Format 1 -> 2: the marker says 2, and format 1's segments (copies checked against
        each object's version, never relied on) are removed; per-session objects stay as they are."""
        root = cls._folder_of(path, options)
        segments = cls._folder_of(path, options, SEGMENTS_FOLDER)
        try:
            root.write(MARKER_NAME, json.dumps({"format": FORMAT_NAME, "format_version": cls.FORMAT_VERSION}).encode())
            for name in list(segments.names()):
                if name.endswith(SEGMENT_SUFFIX):
                    segments.remove(name)
            sessions = sum(1 for _ in cls._folder_of(path, options, SESSIONS_FOLDER).names())
        except OSError as exc:
            raise StoreError(location, f"upgrade from format {found}", exc) from exc
        return FormatUpgrade(sessions, [])

    @staticmethod
    def _folder_of(path: Any, options: dict[str, Any], sub: str | None = None) -> Folder:
        """The store's root folder (or its folder ``sub``) for the class-level upgrade hooks."""
        fs, root = open_filesystem(os.fspath(path), options.get("storage_options") or {})
        return open_folder(fs, f"{root}/{sub}" if sub else root, temp_max_age=3600.0, create=False)

    def _read_or_create_marker(self) -> int:
        """The format version in the marker, writing the marker into a new store.

        Raises:
            ValueError: the marker is not a session-core JSON store marker.
        """
        raw = self._root.read(MARKER_NAME)
        if raw is None:
            if not self.may_create:  # a reader: an empty prefix of a bucket stays empty
                raise StoreNotFound(self.location)
            marker = {"format": FORMAT_NAME, "format_version": self.FORMAT_VERSION}
            self._root.write(MARKER_NAME, json.dumps(marker).encode())
            logger.info("store %s: created (format version %d)", self.location, self.FORMAT_VERSION)
            return self.FORMAT_VERSION
        try:
            marker = json.loads(raw)
            version = marker["format_version"]
            if marker.get("format") != FORMAT_NAME or not isinstance(version, int):
                raise ValueError(marker)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"{MARKER_NAME} is not a session-core JSON store marker: {raw[:200]!r}") from exc
        return version

    @contextlib.contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        """The core's guard, with an unanswering endpoint reported as :class:`StoreTimeout`."""
        with super()._guard(operation):
            try:
                yield
            except Exception as exc:
                if is_unreachable(exc):
                    raise StoreTimeout(self.location, operation, exc, known=self._secrets) from exc
                raise

    def _location(self) -> str:
        return self._url

    def _stored_format_version(self) -> int | None:
        return self._version

    def _get(self, session_id: str) -> bytes | None:
        data = self._sessions.read(session_id)
        if data is None and self._compactable:  # folded, or never stored
            return self._folded(session_id)
        return None if data == TOMBSTONE else data

    def _folded(self, session_id: str) -> bytes | None:
        """The newest segment copy of ``session_id`` (``None``: none, or a deletion): the
        manifest, then the segments whose range holds the id, newest first."""
        found, record = self._segments_now().find(session_id)
        return record.encode("utf-8") if found and record is not None else None

    def _segments_now(self) -> Segments:
        """The segments of the manifest as it is now (parsed segments kept while it is unchanged)."""
        manifest = read_manifest(self._segments)
        if self._segments_read is None or self._segments_read.manifest.tag != manifest.tag:
            self._segments_read = Segments(self._segments, manifest)
        return self._segments_read

    def _put(self, session_id: str, text: str) -> None:
        self._sessions.write(session_id, text.encode("utf-8"))
        self._count_toward_compaction([text])

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        self._sessions.write_many({session_id: text.encode("utf-8") for session_id, text in items})
        self._count_toward_compaction([text for _, text in items])

    def _delete(self, session_id: str) -> bool:
        """On a store that compacts, a delete replaces the object with a tombstone (an object
        it never removes): a compaction that folded the session meanwhile then finds its object
        changed and keeps it, and readers prefer it to any segment copy."""
        if not self._compactable:
            return self._sessions.remove(session_id)
        data = self._sessions.read(session_id)
        if data == TOMBSTONE or (data is None and self._folded(session_id) is None):
            return False
        self._sessions.write_tombstone(session_id)
        return True

    def _live(self) -> tuple[list[str], set[str]]:
        """The ids of every per-session object, ascending, and the tombstones among them, read
        whole before the manifest is (see :mod:`._segments`)."""
        names, tombstones = self._sessions.listing()
        ids = valid_ids(names)
        if len(ids) < len(names) and logger.isEnabledFor(logging.DEBUG):
            foreign = sorted(set(names) - set(ids))
            logger.debug("store %s: ignoring foreign files %r", self.location, foreign[:20])
        return ids, tombstones

    def _iter_ids(self) -> Iterator[str]:
        ids, tombstones = self._live()
        segments = self._segments_now() if self._compactable else None
        if segments:
            return (session_id for session_id, _ in merged(ids, tombstones, segments.current(ids_only=True)))
        return (session_id for session_id in ids if session_id not in tombstones) if tombstones else iter(ids)

    def _iter_items(self) -> Iterator[tuple[str, str | bytes]]:
        ids, tombstones = self._live()
        segments = self._segments_now() if self._compactable else None
        if segments:
            yield from self._copies_and_objects(merged(ids, tombstones, segments.current()))
            return
        saved = (session_id for session_id in ids if session_id not in tombstones)
        while page := list(islice(saved, READ_PAGE)):
            yield from self._objects(page)

    def _newest_first_plan(self) -> tuple[Iterable[str], Callable[[str], str | bytes | None]]:
        """On a compacted store, the objects listed and the manifest read once; a folded session
        comes from its segment (each read once, while the walk is in its range), an object is
        read as it comes. The core's plan (:meth:`_get` per id) would
        cost a failed GET and a manifest read for every folded session."""
        if not self._compactable:
            return super()._newest_first_plan()
        ids, tombstones = self._live()
        segments = self._segments_now()
        objects = set(ids)
        walk = [session_id for session_id, _ in merged(ids, tombstones, segments.current(ids_only=True))]
        find = segments.finder_newest_first()

        def read(session_id: str) -> bytes | None:
            if session_id in objects:  # from its object, or from the segments if folded since
                return self._get(session_id)
            record = find(session_id)[1]
            return None if record is None else record.encode("utf-8")

        return reversed(walk), read

    def _objects(self, ids: list[str]) -> Iterator[tuple[str, str | bytes]]:
        """``ids``' records from their objects, in order; one removed since it was listed (a
        compaction folded it, committing its segment first) from the manifest as it is now."""
        found = dict(self._sessions.read_many(ids))
        for session_id in ids:
            data = found.get(session_id)
            if data is None and self._compactable:
                data = self._folded(session_id)
            if data is not None and data != TOMBSTONE:  # not deleted since it was listed
                yield session_id, _text(data)

    def _copies_and_objects(self, walk: Iterator[tuple[str, str | None]]) -> Iterator[tuple[str, str | bytes]]:
        """Segment copies as they come; objects read :data:`READ_PAGE` at a time (concurrent GETs
        on object storage), a copy waiting only while an earlier object is still to be read."""
        waiting: list[tuple[str, str | None]] = []
        missing: list[str] = []
        for session_id, copy in walk:
            if copy is not None and not waiting:
                yield session_id, copy
                continue
            waiting.append((session_id, copy))
            if copy is None:
                missing.append(session_id)
            if len(missing) >= READ_PAGE or len(waiting) >= WAITING_MAX:
                yield from self._with_objects(waiting, missing)
                waiting, missing = [], []
        yield from self._with_objects(waiting, missing)

    def _with_objects(
        self, waiting: list[tuple[str, str | None]], missing: list[str]
    ) -> Iterator[tuple[str, str | bytes]]:
        objects = dict(self._objects(missing))
        for session_id, copy in waiting:
            data = copy if copy is not None else objects.get(session_id)
            if data is not None:
                yield session_id, data

    @contextlib.contextmanager
    def _query_source(self, con: Any) -> Iterator[str]:
        """Every session file through DuckDB's ``read_text`` (faster here than ``read_json``
        on the same files), foreign file names and tombstones left out as :meth:`_iter_ids`
        leaves them; on a compacted store the segments in bulk (:mod:`._segment_query`) and
        the objects saved since."""
        if self._compactable and self._segments_now():
            ids, tombstones = self._live()
            segments = self._segments_now()  # read again after the listing, as every read does
            yield compacted_relation(con, ids, tombstones, segments.manifest, self._segments, self._objects)
            return
        pattern = "'" + self._sessions.duckdb_glob(con).replace("'", "''") + "'"
        if con.execute(f"SELECT 1 FROM glob({pattern}) LIMIT 1").fetchone() is None:
            yield "SELECT NULL::VARCHAR AS session_id, NULL::VARCHAR AS record WHERE false"
            return
        yield (
            f"SELECT parse_filename(filename) AS session_id, content AS record FROM read_text({pattern}) "
            f"WHERE regexp_full_match(parse_filename(filename), '{SQL_ID_PATTERN}') "
            f"AND content <> '{TOMBSTONE.decode()}'"
        )

    # ------------------------------------------------------------------ compaction

    def compact(self) -> Compaction:
        """Fold finished sessions and deletions into segment objects, then remove the objects
        folded, so that reading every session takes a request per segment (up to 10,000
        sessions) and listing them one request per 1,000 objects saved since.

        Safe beside writers and other compactions on any machine, and when killed at any point
        (see :mod:`._compaction` and docs/json-store.md).

        Raises:
            NotSupported: the filesystem is neither a local folder nor S3 (no conditional writes).
            StoreClosed; StoreError (StoreTimeout): a read or write failed, or other compactions
                kept committing first; rounds already committed stay valid.
        """
        if not self._compactable:
            raise NotSupported(type(self).__name__, "compaction")
        with self._guard("compaction"):
            if isinstance(self._segments, LocalFolder):
                self._segments.path.mkdir(exist_ok=True)
            done = compact(self._valid(self._sessions.names(LISTING_HELD)), self._sessions, self._segments)
        self._finished_since_compaction = 0
        logger.info(
            "store %s: folded %d sessions (%d deletions) into %d segments; %d skipped, %d kept (changed meanwhile)",
            self.location, done.folded, done.deleted, done.segments, done.skipped, done.kept,
        )
        return done

    def _valid(self, names: Iterator[str]) -> Iterator[str]:
        for name in names:
            try:
                yield validate_session_id(name)
            except InvalidSessionId:
                logger.debug("store %s: ignoring foreign file %r", self.location, name)

    def _count_toward_compaction(self, texts: list[str]) -> None:
        """Compact once ``compact_every`` finished sessions were saved; a failed compaction is
        logged, never raised: the saves themselves succeeded."""
        if not self._compact_every:
            return
        self._finished_since_compaction += sum(is_finished(text) for text in texts)
        if self._finished_since_compaction >= self._compact_every:
            try:
                self.compact()
            except Exception:
                logger.warning("store %s: automatic compaction failed", self.location, exc_info=True)


class MemoryJSONStore(JSONStore):
    """A JSON store in fsspec's ``memory://`` filesystem: records live as long as the process.

    For tests, demos and dry runs. Several instances in one process share the records of one
    URL; nothing survives the process, so it declares ``durable=False`` (and so neither
    multi-process nor crash safe).

    Args:
        path: a ``memory://name`` URL or a bare name (``"runs"`` is ``memory://runs``).

    Raises:
        StoreError: ``path`` is a URL of another filesystem (the cause is a ``ValueError``).
    """

    capabilities = MEMORY

    @classmethod
    def local_layout(cls, path: Path) -> None:
        """Nothing is kept on disk (a bare path is a memory:// name)."""
        return None

    def _setup(
        self,
        path: Any,
        storage_options: dict[str, Any] | None = None,
        temp_max_age: float = 3600.0,
    ) -> None:
        url = "memory://session_core" if path is None else os.fspath(path)
        if isinstance(url, str) and "://" not in url:
            url = f"memory://{url}"
        if not (isinstance(url, str) and url.startswith("memory://")):
            raise ValueError(f"MemoryJSONStore takes a memory:// URL, not {path!r}; use JSONStore for other filesystems")
        super()._setup(url, storage_options, temp_max_age)
