"""The store interface: what every backend is, and the checks no backend can skip.

A store has two faces.

* Kedro's face: ``StoreClass(path, session_id, **options)`` is a mutable mapping holding one
  session's data. Right after construction it holds what is persisted for that id; ``read()``
  returns the persisted data; ``save()`` atomically replaces the persisted record with the
  mapping's content.
* The store-level face that ``list``, ``show`` and ``migrate`` need: :meth:`session_ids`
  (ascending id order, which is creation order for generated and Kedro ids, streamed),
  :meth:`load`, :meth:`write`, :meth:`write_many`, :meth:`delete`, :meth:`iter_records`,
  :meth:`format_version`.

It is a template (as in minimalkv): each public method validates the id and the value, encodes
the record once with :mod:`session_core.values`, logs, and turns backend failures into
:class:`~session_core.errors.StoreError`; then it calls one small private primitive that the
backend implements (``_get``, ``_put``, ``_put_many``, ``_delete``, ``_iter_ids``, ...).
Backends only ever see validated ids and JSON text.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from . import values
from .conditions import Condition
from .errors import (
    CorruptRecord,
    FormatVersionError,
    NotSupported,
    RecordTooLarge,
    SessionCoreError,
    SessionError,
    SessionNotFound,
    StoreClosed,
    StoreError,
    StoreTimeout,
)
from .ids import validate_session_id
from .kinds import LegacyIds
from .location import LocalLayout, prepare_local
from .options import check_options
from .redact import known_secrets, redact_text, redact_url, remember

logger = logging.getLogger(__name__)

#: Called once per unreadable record by ``iter_records(errors="report")``: the record's id and
#: the error that says why (a :class:`CorruptRecord`, or a :class:`StoreError` of its read).
OnBadRecord = Callable[[str, SessionCoreError], None]

@dataclass(frozen=True)
class Capabilities:
    """What a store class can do; the conformance suite checks each claim both ways.

    Attributes:
        persistent: records outlive the instance (another instance in this process sees them).
        durable: records also outlive the process (a fresh process sees them).
        listing: :meth:`SessionStore.session_ids` enumerates the stored sessions.
        delete: :meth:`SessionStore.delete` removes one session.
        multiprocess: several processes on one machine may write one location at once.
        crash_safe: a process killed during a save leaves the old or the new record.
        shared: several machines may write one location at once (object storage).
        compaction: :meth:`SessionStore.compact` folds stored records for faster bulk reads,
            safely beside writers, deleters and other compactions in any process.
    """

    persistent: bool = True
    durable: bool = True
    listing: bool = True
    delete: bool = True
    multiprocess: bool = True
    crash_safe: bool = True
    shared: bool = False
    compaction: bool = False


@dataclass(frozen=True)
class FormatUpgrade:
    """What a backend's :meth:`SessionStore.upgrade_format` converted.

    Attributes:
        sessions: records now stored in the current format.
        failures: ``(session_id, reason)`` of records that could not be converted; they stay in
            the backup.
    """

    sessions: int
    failures: list[tuple[str, str]]


class SessionStore(MutableMapping[str, Any]):
    """Base class of every store; subclasses implement the private primitives below.

    Args:
        path: where the store lives (a file, a folder or a URL, as the backend documents).
        session_id: the session this instance's mapping holds; ``None`` for store-level use.
        **options: backend options, passed to :meth:`_setup`.

    Raises:
        InvalidSessionId: ``session_id`` is not a safe id.
        FormatVersionError: the store was written in another format version.
        StoreError: the backend could not open the store (the cause is attached).
    """

    #: What this store can do. The class attribute is the default of every instance; a backend
    #: whose abilities depend on where it is opened (an S3 JSON store is ``shared``, a local one
    #: is not) assigns ``self.capabilities`` in :meth:`_setup`. Readers ask the instance.
    capabilities: Capabilities = Capabilities()
    #: Records per backend call in :meth:`write_many` unless the caller says otherwise; a
    #: backend whose every call has a fixed cost (DuckDB: attach and checkpoint) asks for more.
    BATCH_SIZE: ClassVar[int] = 1000
    #: The on-disk format this code writes; stores remember the version they were written in.
    FORMAT_VERSION: ClassVar[int] = 1
    #: Older formats :meth:`upgrade_format` converts from (``migrate --upgrade``).
    UPGRADABLE_FROM: ClassVar[frozenset[int]] = frozenset()
    #: The largest record (UTF-8 bytes of its JSON) this store takes: a bigger one is refused
    #: at save with :class:`RecordTooLarge`, never truncated, and one found stored is a
    #: :class:`CorruptRecord`. A backend with a tighter limit (a row or object size) lowers it.
    MAX_RECORD_BYTES: ClassVar[int] = values.DEFAULT_MAX_RECORD_BYTES

    def __init__(
        self, path: Any = None, session_id: str | None = None, *, create: bool = True, **options: Any
    ) -> None:
        self._path = path
        self._may_create = create
        self._secrets = known_secrets(path, options)
        remember(self._secrets)
        self._session_id = None if session_id is None else validate_session_id(session_id)
        self._closed = False
        self.data: dict[str, Any] = {}
        self.check_options(options)
        with self._guard("open"):
            if create:
                prepare_local(type(self), path)
            self._setup(path, **options)
            found = self._format_version_at_open()
        if found is not None and found != self.FORMAT_VERSION:
            raise FormatVersionError(self.location, found, self.FORMAT_VERSION)
        if self._session_id is not None:
            self.data = self.read()

    @property
    def may_create(self) -> bool:
        """``False`` when a reader opened the store (``StoreSpec.open(create=False)``): a backend
        that lays out a new store as it opens (a marker object, a schema) raises
        :class:`~session_core.errors.StoreNotFound` instead, so reading never writes."""
        return self._may_create

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Refuse, before anything opens, options that ``_setup`` does not take and values of the
        wrong kind (:mod:`session_core.options`): a configuration mistake, never an outage.

        Raises:
            ConfigError: naming the option once; option values under secret names are not shown.
        """
        check_options(cls.__name__, cls._setup, options)

    @classmethod
    def local_layout(cls, path: Path) -> LocalLayout | None:
        """What this store keeps at a local ``path``; ``None`` (the default) when it keeps
        nothing there. Backends that write files override it: read-only commands require its
        ``marker`` to exist, and the folder of a new ``root`` is made ignored by git
        (:mod:`session_core.location`)."""
        return None

    # ------------------------------------------------------------------ primitives (backend)

    def _setup(self, path: Any, **options: Any) -> None:
        """Open or prepare the store at ``path``; raise ``TypeError`` for unknown options."""
        if options:
            raise TypeError(f"{type(self).__name__} takes no options, got {sorted(options)}")

    def _location(self) -> str:
        """A human-readable location (credentials are removed by :attr:`location`)."""
        return str(self._path)

    def _stored_format_version(self) -> int | None:
        """The format version recorded in the store, or ``None`` when nothing is stored yet."""
        return None

    def _format_version_at_open(self) -> int | None:
        """The version the open checks: :meth:`_stored_format_version` (this default).

        A backend that checks the version together with its first operation, in the same round
        trip, returns ``None`` until then; it raises :class:`FormatVersionError` itself before
        that operation writes or returns anything, and at close when no operation came.
        """
        return self._stored_format_version()

    def _get(self, session_id: str) -> str | bytes | None:
        """The stored JSON text of one session, or ``None`` when absent."""
        raise NotImplementedError

    def _put(self, session_id: str, text: str) -> None:
        """Replace one session's record atomically and durably."""
        raise NotImplementedError

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        """Write many records; backends override this with a real batch operation."""
        for session_id, text in items:
            self._put(session_id, text)

    def _delete(self, session_id: str) -> bool:
        """Remove one session; return ``False`` when it was absent."""
        raise NotSupported(type(self).__name__, "delete")

    def _iter_ids(self) -> Iterator[str]:
        """Yield every stored id in ascending order, without loading records."""
        raise NotSupported(type(self).__name__, "listing")

    def _iter_items(self) -> Iterator[tuple[str, str | bytes]]:
        """Yield ``(id, text)`` in ascending id order; override with one streamed query."""
        for session_id in self._iter_ids():
            text = self._get(session_id)
            if text is not None:
                yield session_id, text

    def _iter_items_where(
        self, conditions: Sequence[Condition], newest_first: bool
    ) -> Iterator[tuple[str, str | bytes]] | None:
        """Optional hook: ``(id, text)`` of the records that may satisfy ``conditions``.

        Return ``None`` (the default) when the backend cannot filter natively; the core then
        streams every record. Otherwise return an iterator in ascending id order, or descending
        when ``newest_first``. The conditions are a pre-filter (see
        :mod:`session_core.conditions`): evaluate any subset, never drop a matching record.
        SQL backends build their WHERE clause with :func:`session_core.conditions.render_where`.
        """
        return None

    def _query_source(self, con: Any) -> contextlib.AbstractContextManager[str | None]:
        """Optional hook for ``query``: ready the DuckDB connection ``con`` to read this store.

        Return a context manager that, on entry, gives the SQL of a relation
        ``(session_id VARCHAR, record VARCHAR)`` holding every stored record's JSON text, which
        ``con`` can run until the context exits (attach a file read-only, register a
        filesystem with ``con.register_filesystem``, ...); on exit, release what it took. Nothing
        may be written. Give ``None`` (the default) to have the core stream :meth:`_iter_items`
        into DuckDB instead. See docs/query.md.
        """
        return contextlib.nullcontext(None)

    def compact(self) -> Any:
        """Fold stored records so that reading many of them takes fewer requests, for stores
        that declare ``compaction``; what it did is the backend's own result.

        Raises:
            NotSupported: the store declares no ``compaction`` (this default).
        """
        raise NotSupported(type(self).__name__, "compaction")

    def _close(self) -> None:
        """Release connections and handles."""

    # ------------------------------------------------------------------ format upgrades (backend)

    @classmethod
    def backup_for_upgrade(cls, path: Any, found: int, location: str, **options: Any) -> Path:
        """Write a complete copy of the store at ``path`` beside it; return where it went.

        :func:`session_core.migrate.upgrade.upgrade_store` calls this before
        :meth:`upgrade_format`, for a version in :attr:`UPGRADABLE_FROM`, and upgrades nothing
        when it raises.

        Raises:
            NotSupported: the class upgrades no format (the default).
            StoreError: the backup could not be written whole (nothing of it is left).
        """
        raise NotSupported(cls.__name__, "format upgrade")

    @classmethod
    def upgrade_format(
        cls, path: Any, found: int, location: str, legacy_ids: LegacyIds = LegacyIds.REFUSE, **options: Any
    ) -> FormatUpgrade:
        """Convert the store at ``path`` from format ``found`` to :attr:`FORMAT_VERSION` in place.

        A crash must leave the store as it was (one transaction), so running it again is safe.
        A record that cannot be converted (not JSON, beyond the record limits, an id our rules
        refuse) is listed in :attr:`FormatUpgrade.failures` and never stops the others; with
        ``legacy_ids`` ``map``, a refused id is carried over through
        :func:`session_core.migrate.legacy_ids.carry`.

        Raises:
            NotSupported: the class upgrades no format (the default).
            StoreError: the conversion failed; the store is left as it was.
        """
        raise NotSupported(cls.__name__, "format upgrade")

    # ------------------------------------------------------------------ shared machinery

    @property
    def location(self) -> str:
        """Where the store lives, with any credentials removed (safe to log and print)."""
        try:
            where = self._location()
        except AttributeError:  # _setup failed before the backend knew its location
            where = str(self._path)
        return f"{type(self).__name__}({redact_url(where)})"

    @property
    def path(self) -> Any:
        """The path (or URL) the store was opened with, as given; may hold credentials, so
        log :attr:`location` instead."""
        return self._path

    @property
    def session_id(self) -> str | None:
        """The session this instance's mapping holds."""
        return self._session_id

    @contextlib.contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        """Turn any backend failure into a StoreError that names the location and the cause."""
        if self._closed:
            raise StoreClosed(self.location, operation)
        try:
            yield
        except SessionCoreError:
            raise
        except Exception as exc:
            if logger.isEnabledFor(logging.DEBUG):  # the cause's text may repeat credentials
                import traceback

                detail = redact_text("".join(traceback.format_exception(exc)), self._secrets)
                logger.debug("store %s: %s failed:\n%s", self.location, operation, detail)
            raise StoreError(self.location, operation, exc, known=self._secrets) from exc

    def _decode(
        self, session_id: str, text: str | bytes,
        decode: Callable[[str | bytes, int], dict[str, Any]] = values.decode,
    ) -> dict[str, Any]:
        """Decode one stored record within the limits of :mod:`session_core.values`, by
        ``decode`` (:func:`values.decode`, or :func:`values.batch_decoder`'s for a stream).

        Raises:
            CorruptRecord: not a JSON object, or beyond the limits (too deep, too big, an int
                too long); never ``RecursionError``.
        """
        try:
            return decode(text, self.MAX_RECORD_BYTES)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise CorruptRecord(self.location, session_id, exc) from None

    def _require_session(self) -> str:
        if self._session_id is None:
            raise SessionError(
                f"{type(self).__name__} was opened without a session_id; pass one to use its "
                "mapping face (read/save), or use load/write with an explicit id"
            )
        return self._session_id

    # ------------------------------------------------------------------ Kedro's face

    def read(self) -> dict[str, Any]:
        """The persisted data of this instance's session; empty when nothing is stored."""
        session_id = self._require_session()
        with self._guard(f"read of session {session_id!r}"):
            text = self._get(session_id)
        return {} if text is None else self._decode(session_id, text)

    def save(self) -> None:
        """Replace the persisted record with the mapping's content, atomically.

        Raises:
            InvalidValue: a value is outside the portable model; nothing is written.
            StoreError: the backend failed.
        """
        self.write(self._require_session(), self.data)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value

    def __delitem__(self, key: str) -> None:
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<{self.location} session_id={self._session_id!r}>"

    # ------------------------------------------------------------------ store-level face

    def session_ids(self) -> Iterator[str]:
        """Stream every stored session id in ascending order (oldest first for generated ids).

        Raises (at the call, not at the first ``next()``): NotSupported, StoreClosed.
        """
        self._check_listable()
        return self._stream_ids()

    def _stream_ids(self) -> Iterator[str]:
        with self._guard("listing"):
            yield from self._iter_ids()

    def iter_records(
        self, errors: Literal["raise", "report"] = "raise", on_error: OnBadRecord | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Stream ``(session_id, record)`` pairs in ascending id order.

        This is how every reader (``list``, ``show``, ``query``, ``stats``, ``export``,
        ``migrate``, the page) should read a whole store, so that one bad record never hides
        the others:

        * ``errors="raise"`` (the default): the first unreadable record raises
          :class:`CorruptRecord` and the stream ends (``--strict`` in the commands).
        * ``errors="report"``: each unreadable record (undecodable, beyond the record limits,
          an unsafe pickle, a failed read of that one record) is reported once through
          ``on_error(session_id, error)`` (default: a warning log line naming the id and the
          reason) before any later id is yielded, and every readable record still comes.
          When the backend's streamed read fails, the rest is read id by id.

        Raises (at the call): NotSupported, StoreClosed; while streaming: CorruptRecord
        (``raise`` only), StoreError (the store cannot list at all).
        """
        self._check_listable()
        if errors == "raise":
            return self._stream_records()
        if errors != "report":
            raise ValueError(f"errors must be 'raise' or 'report', not {errors!r}")
        return self._stream_reporting(on_error or self._log_bad_record)

    def _stream_records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        decode = values.batch_decoder()
        with self._guard("listing"):
            for session_id, text in self._iter_items():
                yield session_id, self._decode(session_id, text, decode)

    def _log_bad_record(self, session_id: str, error: SessionCoreError) -> None:
        logger.warning("%s: session %s is unreadable and was skipped: %s", self.location, session_id, error)

    def _stream_reporting(self, on_error: OnBadRecord) -> Iterator[tuple[str, dict[str, Any]]]:
        """``iter_records(errors="report")``: the backend's stream while it lasts, then id by id.

        ``on_error`` and the consumer run outside :meth:`_guard`, so whatever they raise (a
        ``--strict`` stop) reaches the caller as it is. Ids stay ascending and each bad record
        is reported at its place in that order.
        """
        last: str | None = None
        failed: CorruptRecord | None = None  # raised by the backend's stream for one record
        items = self._iter_items()
        decode = values.batch_decoder()
        with _releasing(items):
            while True:
                try:
                    with self._guard("listing"):
                        item = next(items, None)
                except CorruptRecord as exc:  # the backend's stream is over; carry on id by id
                    failed = exc
                    break
                except StoreClosed:
                    raise
                except StoreError as exc:
                    logger.warning("%s: streamed read failed after %r (%s); reading id by id", self.location, last, exc)
                    break
                if item is None:
                    return
                session_id, text = item
                last = session_id
                try:
                    record = self._decode(session_id, text, decode)
                except CorruptRecord as exc:
                    on_error(session_id, exc)
                    continue
                yield session_id, record
        yield from self._read_one_by_one(last, failed, on_error)

    def _read_one_by_one(
        self, after: str | None, failed: CorruptRecord | None, on_error: OnBadRecord
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        for session_id in self.session_ids():
            if after is not None and session_id <= after:
                continue
            if failed is not None and session_id == failed.session_id:
                on_error(session_id, failed)
                continue
            try:
                with self._guard(f"read of session {session_id!r}"):
                    text = self._get(session_id)
                record = None if text is None else self._decode(session_id, text)
            except StoreClosed:
                raise
            except StoreError as exc:  # CorruptRecord, or the backend failed on this record
                error: SessionCoreError = exc
            else:
                if record is not None:  # None: deleted since it was listed
                    yield session_id, record
                continue
            on_error(session_id, error)
    def iter_matching(
        self, conditions: Sequence[Condition] = (), newest_first: bool = False,
        on_error: OnBadRecord | None = None,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Stream ``(session_id, record)`` pairs that may satisfy ``conditions`` (a pre-filter:
        callers check each record again), oldest first or ``newest_first``.

        The backend's :meth:`_iter_items_where` hook filters and orders natively where it can,
        so the newest records come first at the same cost whatever the store's size; otherwise
        every record is streamed (newest first holds the ids in memory, about 100 bytes each).
        With ``on_error``, each unreadable record is reported through
        ``on_error(session_id, error)`` and skipped, as :meth:`iter_records` does with
        ``errors="report"``; without it the first one raises.

        Raises (at the call): NotSupported, StoreClosed; while streaming: CorruptRecord
        (without ``on_error``), StoreError.
        """
        self._check_listable()
        return self._stream_matching(tuple(conditions), newest_first, on_error)

    def _stream_matching(
        self, conditions: tuple[Condition, ...], newest_first: bool, on_error: OnBadRecord | None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        with self._guard("listing"):
            native = self._iter_items_where(conditions, newest_first)
        if native is None and not newest_first:
            yield from self._stream_records() if on_error is None else self._stream_reporting(on_error)
            return
        if native is None:
            native = self._items_newest_first(on_error)
        with _releasing(native):
            while True:
                with self._guard("listing"):
                    item = next(native, None)
                if item is None:
                    return
                session_id, text = item
                try:
                    record = self._decode(session_id, text)
                except CorruptRecord as exc:
                    if on_error is None:
                        raise
                    on_error(session_id, exc)  # outside the guard: a --strict stop passes as it is
                    continue
                yield session_id, record

    def _items_newest_first(self, on_error: OnBadRecord | None) -> Iterator[tuple[str, str | bytes]]:
        """Every ``(id, text)``, highest id first, for a backend without :meth:`_iter_items_where`,
        by :meth:`_newest_first_plan`. With ``on_error``, a record whose read fails is reported
        and skipped."""
        with self._guard("listing"):
            ids, read = self._newest_first_plan()
        for session_id in ids:
            try:
                with self._guard(f"read of session {session_id!r}"):
                    text = read(session_id)
            except (StoreClosed, StoreTimeout):
                raise
            except StoreError as exc:  # this record alone could not be read
                if on_error is None:
                    raise
                on_error(session_id, exc)
                continue
            if text is not None:  # deleted since it was listed
                yield session_id, text

    def _newest_first_plan(self) -> tuple[Iterable[str], Callable[[str], str | bytes | None]]:
        """Optional hook: the ids, highest first, and how to read one (``None``: deleted since
        it was listed). By default every id is listed (held in memory, about 100 bytes each)
        and read by :meth:`_get`; a backend whose records live in bulk objects reads them from
        there instead."""
        ids = list(self._iter_ids())
        return reversed(ids), self._get

    def count(self) -> int:
        """How many sessions the store holds: one query where the backend can count
        (:meth:`_count`), else by listing every id.

        Raises: NotSupported, StoreClosed, StoreError.
        """
        self._check_listable()
        with self._guard("count"):
            counted = self._count()
        return sum(1 for _ in self.session_ids()) if counted is None else counted

    def _count(self) -> int | None:
        """Optional hook: the number of stored sessions in one query; ``None`` (the default)
        has :meth:`count` list the ids."""
        return None

    def iter_raw(self) -> Iterator[tuple[str, str | bytes]]:
        """Stream ``(session_id, JSON text)`` without decoding, in ascending id order (for
        engines that parse JSON themselves, such as ``query``).

        Raises (at the call): NotSupported, StoreClosed; while streaming: StoreError.
        """
        self._check_listable()
        return self._stream_raw()

    def _stream_raw(self) -> Iterator[tuple[str, str | bytes]]:
        with self._guard("listing"):
            yield from self._iter_items()

    @contextlib.contextmanager
    def query_source(self, con: Any) -> Iterator[str | None]:
        """The store's :meth:`_query_source` hook, with failures wrapped as StoreError.

        Raises (at entry): NotSupported, StoreClosed, StoreError.
        """
        self._check_listable()
        with self._guard("query"), self._query_source(con) as source:
            yield source

    def _check_listable(self) -> None:
        self._check_capability("listing")
        if self._closed:
            raise StoreClosed(self.location, "listing")

    def load(self, session_id: str) -> dict[str, Any]:
        """Return one stored record.

        Raises:
            InvalidSessionId, SessionNotFound, CorruptRecord, StoreError.
        """
        validate_session_id(session_id)
        with self._guard(f"read of session {session_id!r}"):
            text = self._get(session_id)
        if text is None:
            raise SessionNotFound(session_id, self.location)
        return self._decode(session_id, text)

    def has_session(self, session_id: str) -> bool:
        """True when a record is stored for ``session_id``."""
        validate_session_id(session_id)
        with self._guard(f"read of session {session_id!r}"):
            return self._get(session_id) is not None

    def write(self, session_id: str, record: Mapping[str, Any]) -> None:
        """Replace one session's record with ``record``, atomically.

        Raises:
            InvalidSessionId, InvalidValue (nothing written), StoreError.
        """
        validate_session_id(session_id)
        text = self._encode(session_id, record if type(record) is dict else dict(record))
        with self._guard(f"write of session {session_id!r}"):
            self._put(session_id, text)
        if logger.isEnabledFor(logging.DEBUG):  # the location may take work to describe
            logger.debug("store %s: saved session %s (%d bytes)", self.location, session_id, len(text))

    def write_many(
        self,
        records: Iterable[tuple[str, Mapping[str, Any]]],
        batch_size: int | None = None,
    ) -> int:
        """Write many ``(session_id, record)`` pairs in batches; return how many were written.

        Every id and value of a batch is checked before the batch reaches the backend, so a bad
        record stops the call before anything of its batch is written.
        """
        size = batch_size or self.BATCH_SIZE
        encode = values.batch_encoder()
        written = 0
        batch: list[tuple[str, str]] = []
        for session_id, record in records:
            validate_session_id(session_id)
            batch.append(
                (session_id, self._encode(session_id, record if type(record) is dict else dict(record), encode))
            )
            if len(batch) >= size:
                written += self._flush_batch(batch)
                batch = []
        if batch:
            written += self._flush_batch(batch)
        return written

    def _encode(
        self,
        session_id: str,
        record: dict[str, Any],
        encode: Callable[[dict[str, Any]], str] = values.encode_portable,
    ) -> str:
        """The record's JSON text by ``encode`` (:func:`values.encode_portable` or
        :func:`values.batch_encoder`'s), checked against the model and the limits.

        Raises:
            InvalidValue: outside the model, too deep, an int too long (names the key path).
            RecordTooLarge: over :attr:`MAX_RECORD_BYTES`.
        """
        text = encode(record)
        limit = self.MAX_RECORD_BYTES
        if len(text) * 4 > limit:  # only then can the UTF-8 size be over the limit
            size = len(text.encode("utf-8"))
            if size > limit:
                raise RecordTooLarge(session_id, size, limit)
        return text

    def _flush_batch(self, batch: list[tuple[str, str]]) -> int:
        with self._guard(f"batch write of {len(batch)} sessions"):
            self._put_many(batch)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("store %s: wrote a batch of %d sessions", self.location, len(batch))
        return len(batch)

    def delete(self, session_id: str) -> None:
        """Remove one session.

        Raises:
            InvalidSessionId, SessionNotFound, NotSupported, StoreError.
        """
        validate_session_id(session_id)
        self._check_capability("delete")
        with self._guard(f"delete of session {session_id!r}"):
            removed = self._delete(session_id)
        if not removed:
            raise SessionNotFound(session_id, self.location)

    def format_version(self) -> int:
        """The format version the store was written in (this code's version for a new store)."""
        with self._guard("format version read"):
            found = self._stored_format_version()
        return self.FORMAT_VERSION if found is None else found

    def _check_capability(self, name: str) -> None:
        """Raise :class:`NotSupported` when this instance does not declare ``name``."""
        if not getattr(self.capabilities, name):
            raise NotSupported(type(self).__name__, name)

    def close(self) -> None:
        """Release the backend's resources; later use raises :class:`StoreClosed`."""
        if not self._closed:
            try:
                with self._guard("close"):
                    self._close()
            finally:
                self._closed = True

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextlib.contextmanager
def _releasing(items: Iterator[Any]) -> Iterator[Iterator[Any]]:
    """Close a backend's stream (its cursor, its lock turn) when the reader stops, also early,
    instead of when the garbage collector gets to it."""
    try:
        yield items
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
