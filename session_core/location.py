"""Where a store lives: one location syntax, read the same way by every command and backend.

Every store setting (``--store``, ``SESSION_CORE_STORE``, ``[tool.session_core]``, a Kedro
project's ``SESSION_STORE_ARGS["path"]``, migrate's SRC and DST, the conformance suite's
``--store``) is read here, so one spelling means one place everywhere:

``sqlite:///runs.db``
    SQLAlchemy's three slashes: ``runs.db`` relative to the project folder (the nearest folder
    with a ``pyproject.toml``, else the git top level, see :func:`find_project_root`).
``sqlite:////srv/runs.db``
    four slashes: the absolute path ``/srv/runs.db``. The same two forms hold for every
    file-backed scheme (``duckdb``, ``shelve``, ``json``) and the legacy migrate sources
    (``kedro-shelve``, ``kedro-viz``).
``file:///srv/runs``
    RFC 8089: always absolute (``file://localhost/srv/runs`` and ``file:/srv/runs`` too). A
    host or user info is refused: it would otherwise become part of a folder name.
``runs.db``, ``./history/runs.duckdb``, ``/srv/runs.db``
    a plain path, relative to the project folder unless absolute.
``s3://bucket/prefix``, ``memory://name``
    fsspec URLs, handed to the store whole. ``s3://`` needs a bucket; ``s3://KEY:SECRET@bucket``
    moves the credentials into ``storage_options`` so they never reach a path or an error text.
``postgresql://user:pw@host/db?sslmode=require``
    a backend's own URL (:attr:`UrlForm.OPAQUE`), handed over verbatim, query included.

Except for opaque URLs, a query string holds store options (``sqlite:///runs.db?timeout=5``,
values read as JSON when they parse), never part of a file name.

Reading a location has no side effects: nothing is created until a store opens for writing
(:func:`prepare_local`, called by every store as it opens). Read-only callers (``list``,
``show``, migrate's source, and every later reader: ``stats``, ``query``, ``export``, the UI)
open with ``StoreSpec.open(create=False)``, which calls :func:`require_existing` first: a
missing store is :class:`~session_core.errors.StoreNotFound` saying how the location was read
and what the user may have meant, and nothing is created. A store folder or file that *is*
created gets ignored in git: a new folder holds a ``.gitignore`` of ``*``; a new store file in an
existing folder of a git work tree is listed, lock files included, in the ``.gitignore`` beside it.

Credentials never leave this module in clear: :attr:`Location.written` and every error carry
the redacted text (:func:`redact`).
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from .errors import ConfigError, StoreNotFound
from .redact import REDACTED, redact_url

if TYPE_CHECKING:
    from .store import SessionStore

logger = logging.getLogger(__name__)

#: The comment heading every ``.gitignore`` (or block of one) that session-core writes.
IGNORE_HEADER = "# created by session-core: the run history stays out of git"
#: fsspec schemes whose URL has no bucket or host to give.
HOSTLESS_SCHEMES = frozenset({"memory"})
#: fsspec schemes whose user info is an access key and secret (moved to ``storage_options``).
KEY_SECRET_SCHEMES = frozenset({"s3", "s3a"})


class UrlForm(StrEnum):
    """How the URL of one scheme is read; the registry assigns one to every scheme."""

    #: ``scheme:///relative`` and ``scheme:////absolute``: the store gets a local path.
    PATH = "path"
    #: RFC 8089 ``file:///absolute``: the store gets a local path.
    FILE = "file"
    #: the whole URL goes to the store (fsspec); the query holds store options.
    FSSPEC = "fsspec"
    #: the whole URL goes to the store verbatim, query included (``postgresql://``).
    OPAQUE = "opaque"


@dataclass(frozen=True)
class Location:
    """One store location as read from a setting.

    Attributes:
        written: the setting as the user wrote it, credentials removed (safe to print).
        target: what the store class is given: an absolute local path, or a URL.
        local: ``target`` is a path on this machine.
        options: store options carried by the URL (its query, or ``s3://`` credentials).
        reading: how ``written`` was read, for error messages.
        alternative: ``(text, local path)`` of the other reading of a relative URL (the
            absolute one), offered when nothing is stored at ``target``.
    """

    written: str
    target: str
    local: bool
    options: Mapping[str, Any] = field(default_factory=dict)
    reading: str = ""
    alternative: tuple[str, str] | None = None


@dataclass(frozen=True)
class LocalLayout:
    """What a store keeps at a local path (``SessionStore.local_layout``).

    Attributes:
        root: the file or folder the store creates and owns (``runs.db``, a shelve folder).
        marker: the file whose presence shows that a store exists there (the database file, a
            format marker); read-only commands require it.
        folder: ``root`` is a folder.
    """

    root: Path
    marker: Path
    folder: bool


# ---------------------------------------------------------------------- parsing


def split_scheme(text: str) -> str | None:
    """The lower-case scheme when ``text`` is a URL (``scheme://...``, or RFC 8089 ``file:/x``)."""
    head, sep, rest = text.partition(":")
    if not sep or not head or not (head[0].isascii() and head[0].isalpha()):
        return None
    if not all(c.isascii() and (c.isalnum() or c in "+.-") for c in head):
        return None
    if rest.startswith("//") or (head.lower() == "file" and rest.startswith("/")):
        return head.lower()
    return None


def parse_url(text: str, form: UrlForm, project: Path, setting: str) -> Location:
    """Read a URL whose scheme is read in ``form``.

    Raises:
        ConfigError: naming ``setting`` and, redacted, the URL: a host where a path belongs,
            user info where it cannot go, no path, no bucket, a fragment or a bad query.
    """
    written = redact(text)
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise ConfigError(setting, text, f"not a valid URL ({exc})") from None
    if form is UrlForm.OPAQUE:
        return _opaque_url(text, written, parts, setting)
    scheme = parts.scheme.lower()
    if parts.fragment:
        raise ConfigError(setting, text, "'#' starts a URL fragment, which no store reads; write '#' in a name as %23")
    options = query_options(parts.query, text, setting)
    if form is UrlForm.PATH:
        return _path_url(text, scheme, parts.netloc, parts.path, options, project, setting)
    if form is UrlForm.FILE:
        return _file_url(text, parts.netloc, parts.path, options, setting)
    return _fsspec_url(text, scheme, parts.netloc, parts.path, options, setting)


def _opaque_url(text: str, written: str, parts: SplitResult, setting: str) -> Location:
    """A server URL (``postgresql://user@host:port/database``) handed to the store verbatim,
    once it is a URL at all: a port that is not a number, a fragment, white space or a query that
    is not ``name=value`` pairs is refused here, saying how it was read (never the password)."""
    scheme = parts.scheme.lower()
    example = f"{scheme}://user@host:5432/database?name=value"
    try:
        parts.port
    except ValueError:
        raise ConfigError(setting, text, f"the port after the host is not a number from 0 to 65535 (write {example})") from None
    if parts.fragment:
        raise ConfigError(setting, text, f"'#' starts a URL fragment, which {scheme}:// URLs do not have; write '#' as %23")
    if any(c.isspace() for c in text):
        raise ConfigError(setting, text, "white space is not allowed in a URL; write a space as %20")
    if parts.query:
        try:
            parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise ConfigError(setting, text, f"the query string holds connection parameters, written name=value&name=value ({example})") from None
    return Location(written, text, local=False, reading=f"{written} is given to the store as written")


def _path_url(
    text: str, scheme: str, netloc: str, path: str, options: dict[str, Any], project: Path, setting: str
) -> Location:
    if "@" in netloc:
        raise ConfigError(setting, text, f"a {scheme}: URL names a local file; user info (user:password@) has no place in it")
    if netloc:
        raise ConfigError(
            setting, text,
            f"{netloc!r} is read as a host name; write {scheme}:///{netloc}{path} for a path in the "
            f"project folder, or {scheme}:////absolute/path",
        )
    path = unquote(path)
    if path in ("", "/") or path.strip("/") == "":
        raise ConfigError(setting, text, f"no path: write {scheme}:///relative/path or {scheme}:////absolute/path")
    written = redact(text)
    if path.startswith("//"):
        absolute = "/" + path.lstrip("/")
        return Location(written, absolute, True, options, f"{written} is the absolute path {absolute}")
    relative = path[1:]
    target = str(project / relative)
    reading = (
        f"{written} is relative to the project folder {project}; "
        f"for /{relative} write {scheme}:////{relative}"
    )
    return Location(written, target, True, options, reading, (f"{scheme}:////{relative}", "/" + relative))


def _file_url(text: str, netloc: str, path: str, options: dict[str, Any], setting: str) -> Location:
    if "@" in netloc:
        raise ConfigError(setting, text, "a file: URL names a local path; user info (user:password@) has no place in it")
    if netloc and netloc.lower() != "localhost":
        raise ConfigError(
            setting, text,
            f"file: URLs name a path on this machine; the host {netloc!r} is not supported "
            "(mount the share and write file:///mount/point)",
        )
    if not path.startswith("/") or path.strip("/") == "":
        raise ConfigError(
            setting, text, "file: URLs are absolute (file:///srv/runs); for a folder in the project write json:///runs"
        )
    absolute = "/" + unquote(path).lstrip("/")
    written = redact(text)
    return Location(written, absolute, True, options, f"{written} is the absolute path {absolute}")


def _fsspec_url(
    text: str, scheme: str, netloc: str, path: str, options: dict[str, Any], setting: str
) -> Location:
    userinfo, at, host = netloc.rpartition("@")
    if at:
        if scheme not in KEY_SECRET_SCHEMES:
            raise ConfigError(
                setting, text, f"user info (user:password@) does not belong in a {scheme}:// URL; pass credentials as storage_options"
            )
        key, _, secret = userinfo.partition(":")
        credentials = {"key": unquote(key), **({"secret": unquote(secret)} if secret else {})}
        options = merge_options(options, {"storage_options": credentials}, setting)
    if not host and scheme not in HOSTLESS_SCHEMES:
        raise ConfigError(setting, text, f"{scheme}:// needs a bucket: write {scheme}://bucket/prefix")
    target = f"{scheme}://{host}{path}"
    written = redact(text)
    return Location(written, target, False, options, f"{written} is the {scheme} location {target}")


def parse_path(value: str | os.PathLike[str], project: Path) -> Location:
    """Read a plain path: ``~`` is expanded; a relative path is relative to ``project``."""
    written = os.fspath(value)
    candidate = Path(written).expanduser()
    if candidate.is_absolute():
        return Location(written, str(candidate), True, reading=f"{written} is the absolute path {candidate}")
    target = str(project / candidate)
    return Location(written, target, True, reading=f"{written} is relative to the project folder {project}")


def looks_like_path(text: str) -> bool:
    """True for text that can only be a plain path (not a short name or a class path)."""
    return "/" in text or text.startswith((".", "~")) or bool(Path(text).suffix and ":" not in text)


def option_value(raw: str) -> Any:
    """A store option's value from text: JSON when it parses (``5``, ``true``, ``{"a": 1}``),
    else the text itself."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def query_options(query: str, url: str, setting: str) -> dict[str, Any]:
    """Store options from a URL query string (``timeout=5&x=y``).

    Raises:
        ConfigError: a pair without ``=``, an empty name, or a name given twice.
    """
    if not query:
        return {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ConfigError(setting, url, "the query string holds store options, written name=value&name=value") from None
    options: dict[str, Any] = {}
    for name, raw in pairs:
        if not name.strip() or name in options:
            raise ConfigError(setting, url, f"store option {name!r} in the query string is empty or given twice")
        options[name] = option_value(raw)
    return options


def merge_options(first: Mapping[str, Any], second: Mapping[str, Any], setting: str) -> dict[str, Any]:
    """Both option sets; ``storage_options`` mappings are merged key by key.

    Raises:
        ConfigError: one option (or one ``storage_options`` key) is given by both.
    """
    merged = dict(first)
    for name, value in second.items():
        if name not in merged:
            merged[name] = value
        elif name == "storage_options" and isinstance(value, Mapping) and isinstance(merged[name], Mapping):
            both = sorted(set(merged[name]) & set(value))
            if both:
                raise ConfigError(setting, both, "storage_options keys given twice (in the URL and as options)")
            merged[name] = {**merged[name], **value}
        else:
            raise ConfigError(setting, name, "store option given twice (in the URL and as an option); keep one")
    return merged


def redact(text: str) -> str:
    """``text`` with a URL's credentials removed (safe to print and log); text without any is
    returned exactly as written (``s3://`` stays ``s3://``)."""
    if "://" not in text:
        return text
    redacted = redact_url(text)
    return redacted if REDACTED in redacted else text


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (``sqlit`` -> ``sqlite``), or ``None``."""
    import difflib

    found = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


# ---------------------------------------------------------------------- what a path holds


def local_path(target: Any) -> Path | None:
    """``target`` as an absolute local path; ``None`` for URLs, ``None`` and non-paths."""
    if not isinstance(target, (str, os.PathLike)):
        return None
    text = os.fspath(target)
    if not isinstance(text, str) or "://" in text:
        return None
    return Path(text).expanduser().absolute()


def is_local(target: Any) -> bool:
    """True when a store's ``target`` is a path on this machine."""
    return local_path(target) is not None


def layout_of(store_class: type[SessionStore], target: Any) -> LocalLayout | None:
    """What ``store_class`` keeps at ``target``; ``None`` when remote or nothing is kept locally."""
    path = local_path(target)
    return None if path is None else store_class.local_layout(path)


def blocking_file(path: Path) -> Path | None:
    """The regular file among ``path``'s ancestors (nothing can be kept under it), if any."""
    for ancestor in path.parents:
        if ancestor.exists():
            return None if ancestor.is_dir() else ancestor
    return None


def identity(store_class: type[SessionStore], target: Any) -> str:
    """One name per store, however it is spelled: for a local store the real path of its data
    (``..`` and symlinks resolved, a folder and the file in it are one store), for a URL the URL
    without credentials, query, trailing ``/`` or ``.`` segments."""
    path = local_path(target)
    if path is not None:
        layout = store_class.local_layout(path)
        return os.path.realpath(layout.marker if layout is not None else path)
    text = str(target)
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    host = parts.netloc.rpartition("@")[2].lower()
    folder = posixpath.normpath(parts.path) if parts.path else ""
    return f"{parts.scheme.lower()}://{host}{'' if folder in ('.', '/') else folder}"


def require_existing(store_class: type[SessionStore], target: Any, origin: Location | None = None) -> None:
    """Refuse to open a local store that holds nothing yet, before opening could create it.

    Remote locations are checked by the store as it opens.

    Raises:
        StoreNotFound: nothing is stored at ``target``; carries how the location was read
            (``reading``) and what the user may have meant (``suggestions``).
    """
    path = local_path(target)
    if path is None:
        return
    layout = store_class.local_layout(path)
    marker = layout.marker if layout is not None else path
    if marker.exists():
        return
    reading = origin.reading if origin is not None and origin.reading else f"{target} is the absolute path {path}"
    if blocker := blocking_file(marker):
        reading += f"; {blocker} is a regular file, not a folder"
    raise StoreNotFound(
        f"{store_class.__name__}({redact(str(target))})", reading=reading,
        suggestions=tuple(_suggestions(store_class, layout.root if layout else path, origin)),
    )


def _suggestions(store_class: type[SessionStore], root: Path, origin: Location | None) -> Iterable[str]:
    if origin is not None and origin.alternative is not None:
        text, other = origin.alternative
        layout = store_class.local_layout(Path(other))
        if (layout.marker if layout is not None else Path(other)).exists():
            yield text
    import difflib

    try:
        names = os.listdir(root.parent)
    except OSError:
        return
    for name in difflib.get_close_matches(root.name, names, n=3, cutoff=0.6):
        yield str(root.parent / name)


# ---------------------------------------------------------------------- creating, ignored by git


def prepare_local(store_class: type[SessionStore], target: Any) -> None:
    """Before a store creates its data at a local ``target``: make its folder, ignored by git.

    A folder created here holds a ``.gitignore`` of ``*`` (as pytest does for its cache); a new
    store file in an existing folder of a git work tree is listed, with its lock and journal
    files, in the ``.gitignore`` beside it. An existing store, or a store that keeps nothing
    locally, is left alone. A ``.gitignore`` that cannot be written is logged and skipped.

    Raises:
        NotADirectoryError: a regular file stands where a folder of the path must be.
        OSError: the folder cannot be created.
    """
    layout = layout_of(store_class, target)
    if layout is None or os.path.lexists(layout.root):
        return
    if blocker := blocking_file(layout.root):
        raise NotADirectoryError(
            20, f"{blocker} is a regular file, so no store can be kept under it; choose another location",
            str(blocker),
        )
    folder = layout.root if layout.folder else layout.root.parent
    missing = _topmost_missing(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if missing is not None:
        _write_ignore(missing / ".gitignore", ["*"])
    elif not layout.folder and git_work_tree(folder) is not None:
        name = layout.root.name
        _write_ignore(folder / ".gitignore", [f"/{name}", f"/{name}-*", f"/{name}.*"])


def _topmost_missing(folder: Path) -> Path | None:
    missing = None
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return missing
        missing = candidate
    return missing


def _write_ignore(file: Path, patterns: list[str]) -> None:
    """Add ``patterns`` (under :data:`IGNORE_HEADER`) to ``file``, keeping what it holds."""
    try:
        existing = file.read_text("utf-8") if file.exists() else ""
        lines = set(existing.splitlines())
        new = [pattern for pattern in patterns if pattern not in lines]
        if not new:
            return
        joint = "" if not existing or existing.endswith("\n") else "\n"
        with file.open("a", encoding="utf-8") as out:
            out.write(joint + "\n".join([IGNORE_HEADER, *new]) + "\n")
    except OSError as exc:
        logger.warning("could not keep the store out of git (%s): %s", file, exc)


def git_work_tree(folder: Path) -> Path | None:
    """The top folder of the git work tree holding ``folder`` (found by its ``.git``), or ``None``."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def find_project_root(start: Path | str | None = None) -> Path:
    """The folder relative locations are read against: the nearest folder at or above ``start``
    (default: the current folder) holding a ``pyproject.toml``, else the top of the git work
    tree, else ``start`` itself."""
    here = Path(start or os.getcwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return git_work_tree(here) or here
