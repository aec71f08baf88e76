"""Folders of small files on any fsspec filesystem, with the request budget each call costs.

A :class:`Folder` is what :class:`session_core.stores.json.JSONStore` needs from a filesystem: read, write,
batch-write and remove one named file, and list the names in ascending order. Two kinds exist:

* :class:`LocalFolder` (a local path or ``file://``): writes go through
  :func:`session_core.atomic.write_atomic` (temp file, fsync, rename), so a killed writer never leaves
  a torn file; listing skips and sweeps the temporary files a killed writer left.
* :class:`FsspecFolder` (``memory://``, ``s3://``, any other fsspec URL): one object per name.
  On S3 a write is one ``PutObject`` (``pipe_file``: no HEAD, no LIST), a read one ``GetObject``
  (``cat_file`` with ``max_concurrency=1``, which skips the HEAD s3fs otherwise sends to size the
  object), a batch write is fsspec's concurrent ``pipe({path: bytes})``, and listing streams
  ``ListObjectsV2`` pages of 1,000 keys, which S3 returns in ascending key order.

Nothing here imports fsspec at module import; :func:`open_folder` does, when a store opens.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from session_core.atomic import TEMP_NAME, fsync_folder, sweep_temp_files, temp_name, write_atomic, write_temp

from ._external_sort import sorted_bounded

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

logger = logging.getLogger(__name__)

#: DuckDB glob of a folder's files without dot files (temporary files start with a dot).
DUCKDB_NO_DOT_FILES = "[!.]*"

#: What a tombstone (a deleted session's object) holds: not JSON, so no record can equal it.
TOMBSTONE = b"session-core tombstone\n"
#: Its S3 ETag (the MD5 of the content of an object written in one PUT): listings show it.
TOMBSTONE_ETAG = hashlib.md5(TOMBSTONE, usedforsecurity=False).hexdigest()
#: A local tombstone links to this file of its folder, holding :data:`TOMBSTONE` (a dot file:
#: never listed).
TOMBSTONE_NAME = ".tombstone"
#: The lock file of a guarded local folder, and how long a waiter waits for it (seconds; it
#: is held for one rename or one check-and-remove).
LOCK_NAME = ".lock"
LOCK_TIMEOUT = 30.0
#: Conditional removals made per hold of a local folder's lock.
LOCK_CHUNK = 100
#: Conditional removals in flight on S3 at once (one request each, from a thread each: s3fs's
#: event loop runs them concurrently).
REMOVALS_AT_ONCE = 32

#: Protocols whose writes replace a whole object at once (no partial object is ever visible),
#: and whose "folders" need no creating.
OBJECT_STORE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})

#: botocore settings the store uses for S3 unless the caller's ``config_kwargs`` set them. s3fs
#: wraps botocore's attempts in two nested loops of its own (5 x 5), which the store turns off
#: (``retries = 1`` on the filesystem), so botocore's standard retry mode (jittered backoff,
#: throttling included) is the only one: an endpoint that refuses connections fails after 3
#: attempts in about 3 s, a silent one after 3 x ``read_timeout``, instead of 75 attempts.
S3_CONFIG_DEFAULTS: Mapping[str, Any] = {
    "connect_timeout": 3,
    "read_timeout": 15,
    "retries": {"total_max_attempts": 3, "mode": "standard"},
}


class Folder(Protocol):
    """A flat folder of named files; names are plain file names, never paths."""

    def read(self, name: str) -> bytes | None:
        """The content of ``name``, or ``None`` when it does not exist."""

    def read_many(self, names: list[str]) -> Iterator[tuple[str, bytes]]:
        """``(name, content)`` for each existing name, in the order given."""

    def write(self, name: str, data: bytes) -> None:
        """Replace ``name`` with ``data`` in one step (old or new content, never a mix)."""

    def write_many(self, items: Mapping[str, bytes]) -> None:
        """Write several files, concurrently where the filesystem allows."""

    def remove(self, name: str) -> bool:
        """Remove ``name``; ``False`` when it did not exist."""

    def names(self, held: int | None = None) -> Iterator[str]:
        """Stream every file name in ascending order (temporary files excluded). ``held``
        bounds the names a listing that must sort them keeps in memory (``None``: no bound)."""

    def duckdb_glob(self, con: Any) -> str:
        """A glob DuckDB's readers expand to every file of the folder (dot files excluded),
        registering the filesystem with ``con`` when DuckDB cannot reach it by itself."""

    def duckdb_files(self, con: Any, names: list[str]) -> list[str]:
        """The paths DuckDB's readers open for ``names``, registering the filesystem with
        ``con`` when DuckDB cannot reach it by itself."""

    def listing(self) -> tuple[list[str], set[str]]:
        """Every name in ascending order, and the tombstones among them, from the listing alone.

        A tombstone (:meth:`write_tombstone`) says a session was deleted; it reads as
        :data:`TOMBSTONE`."""

    def read_tagged(self, names: list[str]) -> Iterator[tuple[str, bytes, str]]:
        """``(name, content, tag)`` for each existing name, the tag being that of this content
        (what :meth:`write_if` and :meth:`remove_many_if` compare with)."""

    def write_if(self, name: str, data: bytes, tag: str | None) -> bool:
        """Replace ``name`` with ``data`` only while its tag is ``tag`` (``None``: only while
        ``name`` does not exist); ``False``, and nothing written, otherwise."""

    def remove_many_if(self, items: list[tuple[str, str]]) -> int:
        """Remove each ``(name, tag)``'s file only while its tag is ``tag``; how many were not
        removed (changed since, or already gone)."""

    def write_tombstone(self, name: str) -> None:
        """Replace ``name`` with a tombstone in one step (see :meth:`listing`)."""


def protocols(fs: AbstractFileSystem | LocalPaths) -> set[str]:
    """The protocol names of ``fs`` (fsspec gives a str or a tuple)."""
    return {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)


def with_s3_defaults(storage_options: Mapping[str, Any]) -> dict[str, Any]:
    """``storage_options`` with :data:`S3_CONFIG_DEFAULTS` filled into ``config_kwargs``."""
    options = dict(storage_options)
    config = dict(options.get("config_kwargs") or {})
    for key, value in S3_CONFIG_DEFAULTS.items():
        config.setdefault(key, value)
    options["config_kwargs"] = config
    return options


class LocalPaths:
    """The local filesystem, named without importing fsspec (about 20 ms of imports): what
    :func:`open_filesystem` gives for a plain path or a ``file:///`` URL without options.
    It has the protocols of fsspec's ``LocalFileSystem``, which :func:`open_folder` and
    :func:`protocols` treat alike."""

    protocol = ("file", "local")


LOCAL = LocalPaths()


def local_root(url: str, storage_options: Mapping[str, Any]) -> str | None:
    """The absolute local path ``url`` names when it is a plain path or a ``file:///`` URL and
    no options are given (as fsspec's ``url_to_fs`` would give it), else ``None``."""
    if storage_options:
        return None
    if url.startswith("file://"):
        url = url[len("file://"):]
        if not url.startswith("/"):  # file://host/...: left to fsspec
            return None
    elif "://" in url or "::" in url:
        return None
    path = os.path.expanduser(url)
    if not path.startswith("/"):  # as fsspec does: joined, ``..`` kept (a symlink may sit before it)
        path = f"{os.getcwd()}/{path.removeprefix('./') if path != '.' else ''}"
    return path.rstrip("/") or path


def open_filesystem(url: str, storage_options: Mapping[str, Any]) -> tuple[AbstractFileSystem | LocalPaths, str]:
    """The filesystem and the root path (protocol stripped, no trailing ``/``) for ``url``:
    :data:`LOCAL` for a local path without options, else fsspec's.

    Raises:
        ValueError: the protocol is unknown to fsspec; ImportError: its package is missing.
    """
    root = local_root(url, storage_options)
    if root is not None:
        return LOCAL, root
    import fsspec.core

    protocol = fsspec.core.split_protocol(url)[0]
    options = with_s3_defaults(storage_options) if protocol in ("s3", "s3a") else dict(storage_options)
    fs, root = fsspec.core.url_to_fs(url, **options)
    if protocols(fs) & {"s3", "s3a"}:
        fs.retries = 1  # not a constructor argument of s3fs; see S3_CONFIG_DEFAULTS
    return fs, root.rstrip("/") or root


def open_folder(
    fs: AbstractFileSystem | LocalPaths, path: str, *, temp_max_age: float, create: bool = True, guarded: bool = False
) -> Folder:
    """A :class:`LocalFolder` for the local filesystem, else a :class:`FsspecFolder`.

    With ``create=False`` nothing is created: a missing folder lists as empty. ``guarded``: a
    local folder whose files are also replaced or removed conditionally (see
    :class:`LocalFolder`); object storage needs no guard (its requests are conditional).

    Raises:
        OSError: the folder cannot be created (a regular file in the way, no permission).
    """
    if fs is LOCAL:
        return LocalFolder(Path(path), temp_max_age=temp_max_age, create=create, guarded=guarded)
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return LocalFolder(Path(path), temp_max_age=temp_max_age, create=create, guarded=guarded)
    return FsspecFolder(fs, path, create=create)


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` (or its cause) says the endpoint did not answer: refused, timed out,
    connection dropped. Checks botocore's and aiohttp's types only if they are loaded."""
    kinds: list[type[BaseException]] = [TimeoutError, ConnectionError]
    if botocore := sys.modules.get("botocore.exceptions"):
        kinds += [botocore.ConnectionError, botocore.HTTPClientError]
    if aiohttp := sys.modules.get("aiohttp"):
        kinds.append(aiohttp.ClientConnectionError)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, tuple(kinds)):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


def _condition_failed(exc: BaseException) -> bool:
    """True when S3 refused a conditional request because its condition did not hold: 412
    Precondition Failed, 409 ConditionalRequestConflict, or 404 NoSuchKey (the object is gone)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        error = (getattr(current, "response", None) or {}).get("Error", {})
        if error.get("Code") in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412", "404"):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


def _missing_bucket(exc: FileNotFoundError) -> str | None:
    """The bucket name when s3fs's FileNotFoundError means NoSuchBucket (not NoSuchKey)."""
    response = getattr(exc.__cause__, "response", None) or {}
    error = response.get("Error", {})
    return error.get("BucketName", "?") if error.get("Code") == "NoSuchBucket" else None


class LocalFolder:
    """A local folder; files are replaced atomically and durably.

    Args:
        path: the folder (created when missing).
        temp_max_age: seconds after which a temporary file is taken as left by a killed writer
            and removed when the folder is listed.
        guarded: files are also replaced or removed *conditionally* (:meth:`write_if`,
            :meth:`remove_if`): every rename into the folder and every such check-and-act then
            holds the folder's lock file (``.lock``, a few microseconds each), which is what makes
            the check and the act one step, as S3's conditional requests are.
    """

    def __init__(self, path: Path, *, temp_max_age: float, create: bool = True, guarded: bool = False) -> None:
        self.path = path
        self.temp_max_age = temp_max_age
        self._guarded = guarded
        self._lock: Any = None
        if create:
            path.mkdir(parents=True, exist_ok=True)

    def _locked(self) -> Any:
        """The folder's lock held for a block (made at first use: ``filelock`` is imported then)."""
        if self._lock is None:
            from ._filelock import StoreLock

            self._lock = StoreLock(self.path / LOCK_NAME, timeout=LOCK_TIMEOUT)
        return self._lock.hold(str(self.path), "replace a file")

    def _replace(self, source: Path, target: Path) -> None:
        if not self._guarded:
            os.replace(source, target)
            return
        with self._locked():
            os.replace(source, target)

    def read(self, name: str) -> bytes | None:
        try:
            return (self.path / name).read_bytes()
        except FileNotFoundError:
            return None

    def read_many(self, names: list[str]) -> Iterator[tuple[str, bytes]]:
        for name in names:
            data = self.read(name)
            if data is not None:
                yield name, data

    def write(self, name: str, data: bytes) -> None:
        write_atomic(self.path / name, data, replace=self._replace)

    def write_many(self, items: Mapping[str, bytes]) -> None:
        """Every file written and fsynced under a temporary name first, then all renamed into
        place at once (one hold of a guarded folder's lock: about 110 µs each with ``filelock``,
        a fifth of a save's cost), then one folder fsync."""
        written: list[tuple[Path, Path]] = []
        try:
            for name, data in items.items():
                written.append((write_temp(self.path / name, data), self.path / name))
            with self._locked() if self._guarded else contextlib.nullcontext():
                for tmp, path in written:
                    os.replace(tmp, path)
        except BaseException:
            for tmp, _ in written:
                tmp.unlink(missing_ok=True)
            raise
        fsync_folder(self.path)

    def write_if(self, name: str, data: bytes, tag: str | None) -> bool:
        with self._locked():
            if self._tag(name) != tag:
                return False
            write_atomic(self.path / name, data)
        return True

    def remove_many_if(self, items: list[tuple[str, str]]) -> int:
        """Each check and removal under the lock, held for :data:`LOCK_CHUNK` at a time so that
        saves wait microseconds; one folder fsync at the end."""
        kept = 0
        for start in range(0, len(items), LOCK_CHUNK):
            with self._locked():
                for name, tag in items[start : start + LOCK_CHUNK]:
                    if self._tag(name) == tag:
                        os.remove(self.path / name)
                    else:
                        kept += 1
        fsync_folder(self.path)
        return kept

    def write_tombstone(self, name: str) -> None:
        """A symbolic link to the folder's ``.tombstone`` file: listings tell it from a record
        by the entry's type alone (no ``stat``), and reading it gives :data:`TOMBSTONE`."""
        target = self.path / TOMBSTONE_NAME
        if not target.exists():
            write_atomic(target, TOMBSTONE)
        link = self.path / temp_name(name)
        os.symlink(TOMBSTONE_NAME, link)
        try:
            self._replace(link, self.path / name)
        except BaseException:
            link.unlink(missing_ok=True)
            raise
        fsync_folder(self.path)

    def _tag(self, name: str) -> str | None:
        try:
            return local_tag(os.lstat(self.path / name))
        except FileNotFoundError:
            return None

    def remove(self, name: str) -> bool:
        try:
            os.remove(self.path / name)
        except FileNotFoundError:
            return False
        fsync_folder(self.path)
        return True

    def duckdb_glob(self, con: Any) -> str:
        """DuckDB reads local files itself; nothing to register."""
        return os.path.join(self.path, DUCKDB_NO_DOT_FILES)

    def duckdb_files(self, con: Any, names: list[str]) -> list[str]:
        """DuckDB reads local files itself; nothing to register."""
        return [os.path.join(self.path, name) for name in names]

    def names(self, held: int | None = None) -> Iterator[str]:
        """Sorted names. A folder cannot be listed in order, so the names (not the files)
        are held in memory to sort them: about 100 bytes per session, or at most ``held``,
        sorted runs spilling to temporary files beyond (:mod:`._external_sort`), so that a
        compaction's memory stays flat however many sessions the folder holds.

        Every entry not starting with a dot is listed, whatever its type: an entry that cannot
        be read as a record (a folder in a record's place) must fail when it is read, not
        vanish from the listing as if the session did not exist."""
        yield from sorted(self._scan()) if held is None else sorted_bounded(self._scan(), held)

    def listing(self) -> tuple[list[str], set[str]]:
        """From the folder's entries alone (no ``stat``): a folder where no delete ever wrote a
        tombstone (no ``.tombstone`` file) needs only the names; otherwise the entries' types
        tell the symbolic links, and only links are looked at further."""
        try:
            entries = os.listdir(self.path)
        except FileNotFoundError:
            return [], set()
        if TOMBSTONE_NAME not in entries:
            return sorted(self._visible(entries)), set()
        links: list[str] = []
        names = sorted(self._scan(links))
        return names, {name for name in links if _is_tombstone_link(os.path.join(self.path, name))}

    def read_tagged(self, names: list[str]) -> Iterator[tuple[str, bytes, str]]:
        """A tombstone gives :data:`TOMBSTONE` and the tag of the link itself (what
        :meth:`remove_many_if` compares with)."""
        for name in names:
            path = self.path / name
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except FileNotFoundError:
                continue
            except OSError as exc:
                if exc.errno != errno.ELOOP:  # not a symbolic link
                    raise
                stat = os.lstat(path)
                if _is_tombstone_link(str(path)):
                    yield name, TOMBSTONE, local_tag(stat)
                else:
                    yield name, path.read_bytes(), local_tag(stat)
                continue
            with os.fdopen(fd, "rb") as file:
                stat = os.fstat(file.fileno())
                data = file.read()
            yield name, data, local_tag(stat)

    def _scan(self, links: list[str] | None = None) -> Iterator[str]:
        """The names of the folder's entries not starting with a dot, in the folder's order
        (none when the folder does not exist), streamed (a compaction holds a bounded number),
        those of symbolic links also added to ``links``; sweeps abandoned temporary files at
        the end."""
        temps: list[str] = []
        try:
            with os.scandir(self.path) as entries:
                for entry in entries:
                    name = entry.name
                    if name[0] == ".":  # no id starts with a dot: temp files and housekeeping
                        if TEMP_NAME.match(name):
                            temps.append(name)
                        continue
                    if links is not None and entry.is_symlink():
                        links.append(name)
                    yield name
        except FileNotFoundError:
            return
        if temps:
            sweep_temp_files(self.path, self.temp_max_age, temps)

    def _visible(self, entries: list[str]) -> list[str]:
        """``entries`` without the dot files (no id starts with a dot: temporary files and
        housekeeping), sweeping the abandoned temporary files among them."""
        temps = [name for name in entries if name[0] == "." and TEMP_NAME.match(name)]
        if temps:
            sweep_temp_files(self.path, self.temp_max_age, temps)
        return [name for name in entries if name[0] != "."]


def _is_tombstone_link(path: str) -> bool:
    try:
        return os.readlink(path) == TOMBSTONE_NAME
    except OSError:  # gone since it was listed
        return False


def local_tag(stat: os.stat_result) -> str:
    """A local file's version tag: inode, modification time (ns) and size, in hex."""
    return f"{stat.st_ino:x}.{stat.st_mtime_ns:x}.{stat.st_size:x}"


class FsspecFolder:
    """A folder (a key prefix on object storage) on any fsspec filesystem."""

    def __init__(self, fs: AbstractFileSystem, path: str, *, create: bool = True) -> None:
        self.fs = fs
        self.path = path
        names = protocols(fs)
        self._s3 = bool(names & {"s3", "s3a"})
        #: max_concurrency=1 stops s3fs's cat_file from sending a HEAD before the GET.
        self._read_options: dict[str, Any] = {"max_concurrency": 1} if self._s3 else {}
        self._write_options: dict[str, Any] = {"ContentType": "application/json"} if self._s3 else {}
        if create and not names & OBJECT_STORE_PROTOCOLS:
            fs.makedirs(path, exist_ok=True)

    def _key(self, name: str) -> str:
        return f"{self.path}/{name}"

    def read(self, name: str) -> bytes | None:
        try:
            return self.fs.cat_file(self._key(name), **self._read_options)
        except FileNotFoundError as exc:
            self._raise_if_bucket_missing(exc)
            return None

    def read_many(self, names: list[str]) -> Iterator[tuple[str, bytes]]:
        if not names:  # fsspec's cat([]) raises FileNotFoundError
            return
        keys = [self._key(name) for name in names]
        found = self.fs.cat(keys, on_error="return", **self._read_options)
        for name, key in zip(names, keys):
            data = found.get(key)
            if isinstance(data, FileNotFoundError):
                self._raise_if_bucket_missing(data)
            elif isinstance(data, BaseException):
                raise data
            elif data is not None:
                yield name, data

    def write(self, name: str, data: bytes) -> None:
        try:
            self.fs.pipe_file(self._key(name), data, **self._write_options)
        except FileNotFoundError as exc:
            self._raise_if_bucket_missing(exc)
            raise

    def write_many(self, items: Mapping[str, bytes]) -> None:
        self.fs.pipe({self._key(name): data for name, data in items.items()}, **self._write_options)

    def write_if(self, name: str, data: bytes, tag: str | None) -> bool:
        """One conditional ``PutObject`` (``If-Match: <ETag>``, or ``If-None-Match: *``).

        Raises:
            NotImplementedError: the filesystem is not S3 (no conditional writes).
        """
        condition = {"IfNoneMatch": "*"} if tag is None else {"IfMatch": f'"{tag}"'}
        return self._conditional("put_object", name, Body=data, ContentType="application/json", **condition)

    def remove_many_if(self, items: list[tuple[str, str]]) -> int:
        """One conditional ``DeleteObject`` (``If-Match: <ETag>``) per object (S3 has no
        conditional batch delete), :data:`REMOVALS_AT_ONCE` in flight at once.

        Raises:
            NotImplementedError: the filesystem is not S3 (no conditional deletes).
        """
        from concurrent.futures import ThreadPoolExecutor

        def remove(item: tuple[str, str]) -> bool:
            return self._conditional("delete_object", item[0], IfMatch=f'"{item[1]}"')

        with ThreadPoolExecutor(REMOVALS_AT_ONCE) as pool:
            return sum(not removed for removed in pool.map(remove, items))

    def _conditional(self, operation: str, name: str, **request: Any) -> bool:
        """``operation`` on ``name`` under its condition: ``False`` when the condition failed
        (412 Precondition Failed, 409 Conflict with a concurrent conditional request, or 404
        for an object that is gone)."""
        if not self._s3:
            raise NotImplementedError(f"conditional requests on {sorted(protocols(self.fs))}")
        bucket, key, _ = self.fs.split_path(self._key(name))
        try:
            self.fs.call_s3(operation, Bucket=bucket, Key=key, **request)
        except (OSError, ValueError) as exc:
            if _condition_failed(exc):
                return False
            if isinstance(exc, FileNotFoundError):
                self._raise_if_bucket_missing(exc)
            raise
        finally:
            self.fs.invalidate_cache(self._key(name))
        return True

    def write_tombstone(self, name: str) -> None:
        """An object holding :data:`TOMBSTONE` (listings show its ETag)."""
        self.write(name, TOMBSTONE)

    def remove(self, name: str) -> bool:
        key = self._key(name)
        self.fs.invalidate_cache(key)
        if not self.fs.exists(key):
            return False
        self.fs.rm_file(key)
        return True

    def duckdb_glob(self, con: Any) -> str:
        """The folder as a URL of this filesystem, registered with ``con`` (DuckDB then lists
        and reads through fsspec; no DuckDB extension is needed)."""
        return f"{self._registered(con)}/{DUCKDB_NO_DOT_FILES}"

    def duckdb_files(self, con: Any, names: list[str]) -> list[str]:
        """Each file as a URL of this filesystem, registered with ``con``. The folder's listing
        is cached first (one LIST per 1,000 objects): DuckDB asks fsspec for each file's size
        several times, which s3fs then answers from that cache instead of a HEAD each time."""
        folder = self._registered(con)
        self.fs.ls(self.path, detail=False, refresh=True)
        return [f"{folder}/{name}" for name in names]

    def _registered(self, con: Any) -> str:
        """The folder's URL, after registering the filesystem with ``con`` (DuckDB then lists
        and reads through fsspec; no DuckDB extension is needed)."""
        if not protocols(self.fs) & set(con.list_filesystems()):  # DuckDB refuses a second registration
            con.register_filesystem(self.fs)
        protocol = sorted(protocols(self.fs))[0]
        return f"{protocol}://{self.path}"

    def names(self, held: int | None = None) -> Iterator[str]:
        """S3: streamed page by page (``held`` needs no handling); others: one ``ls``, sorted."""
        if self._s3:
            for name, _ in self._s3_items():
                yield name
            return
        self.fs.invalidate_cache(self.path)
        try:
            entries = self.fs.ls(self.path, detail=True)
        except FileNotFoundError:
            return
        yield from sorted(entry["name"].rstrip("/").rpartition("/")[2] for entry in entries if entry["type"] == "file")

    def listing(self) -> tuple[list[str], set[str]]:
        """S3: a tombstone is told by its ETag; other filesystems have no tombstones (a delete
        removes the object)."""
        if not self._s3:
            return list(self.names()), set()
        names: list[str] = []
        tombstones: set[str] = set()
        for name, etag in self._s3_items():
            names.append(name)
            if etag == TOMBSTONE_ETAG:
                tombstones.add(name)
        return names, tombstones

    def read_tagged(self, names: list[str]) -> Iterator[tuple[str, bytes, str]]:
        """Each content with its MD5 (the ETag S3 gives an object written in one PUT)."""
        for name, data in self.read_many(names):
            yield name, data, hashlib.md5(data, usedforsecurity=False).hexdigest()

    def _s3_items(self) -> Iterator[tuple[str, str]]:
        """Stream ListObjectsV2 pages (1,000 keys each, ascending key order), one request each:
        ``(name, ETag without its quotes)``."""
        bucket, key, _ = self.fs.split_path(self.path)
        prefix = f"{key}/" if key else ""
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
        while True:
            try:
                page = self.fs.call_s3("list_objects_v2", **request)
            except FileNotFoundError as exc:
                self._raise_if_bucket_missing(exc)
                raise
            for item in page.get("Contents", ()):
                yield item["Key"][len(prefix):], item.get("ETag", "").strip('"')
            if not page.get("IsTruncated"):
                return
            request["ContinuationToken"] = page["NextContinuationToken"]

    def _raise_if_bucket_missing(self, exc: FileNotFoundError) -> None:
        if self._s3 and (bucket := _missing_bucket(exc)) is not None:
            raise FileNotFoundError(
                errno.ENOENT, "the bucket does not exist: create it, or correct the store URL", bucket
            ) from exc
