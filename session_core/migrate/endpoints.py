"""Naming the two ends of a migration: every store name, plus the legacy sources.

SRC and DST accept whatever ``--store`` accepts (short names, URLs, ``package.module:Class``),
and SRC also accepts the legacy schemes, which name read-only readers:

* ``kedro-shelve:///path/to/folder``: a folder written by Kedro's ``ShelveStore``;
* ``kedro-viz:///path/to/session_store.db``: a kedro-viz database (or the folder holding it).

As with ``sqlite:///``, three slashes start a path relative to the project folder and four an
absolute one. A source must already exist: checking that first keeps a mistyped source path
from being created as an empty store.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from session_core.config import project_relative, parse_store
from session_core.errors import ConfigError, StoreNotFound
from session_core.registry import StoreSpec, known_schemes

#: Legacy URL scheme -> the reader class (read-only; a source only).
LEGACY_SCHEMES = {
    "kedro-shelve": "session_core.migrate.kedro_shelve:KedroShelveReader",
    "kedro-viz": "session_core.migrate.kedro_viz:KedroVizReader",
}

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)


def parse_endpoint(
    value: str, options: dict[str, Any] | None, project_path: Path, setting: str, *, source: bool
) -> StoreSpec:
    """The :class:`StoreSpec` of one end of a migration.

    Raises:
        ConfigError: an unknown scheme or name, bad options, or a legacy scheme as destination;
            ``setting`` (``SRC`` or ``DST``) is named.
    """
    match = _URL.match(value.strip()) if isinstance(value, str) else None
    scheme = match["scheme"].lower() if match else None
    if scheme in LEGACY_SCHEMES:
        assert match is not None
        if not source:
            raise ConfigError(setting, value, f"{scheme}:// is a legacy format, readable as a source only")
        rest = match["rest"]
        if not rest.startswith("/") or rest == "/":
            raise ConfigError(setting, value, f"write {scheme}:///relative/path or {scheme}:////absolute/path")
        return StoreSpec(LEGACY_SCHEMES[scheme], project_relative(rest[1:], project_path), dict(options or {}))
    if scheme is not None and scheme not in known_schemes():
        known = ", ".join(sorted({*known_schemes(), *LEGACY_SCHEMES}))
        raise ConfigError(setting, value, f"unknown URL scheme {scheme!r} (known: {known})")
    return parse_store(value, options, project_path, setting)


def local_path(spec: StoreSpec) -> Path | None:
    """The local filesystem path a spec points at, or ``None`` for remote and in-memory stores."""
    if spec.path is None:
        return None
    text = str(spec.path)
    if text.startswith("file://"):
        return Path(urlsplit(text).path)
    if "://" in text:
        return None
    return Path(text)


def require_existing(spec: StoreSpec) -> None:
    """Refuse a local source that does not exist, before opening it could create it.

    Raises:
        StoreNotFound: nothing at the spec's local path (remote stores are checked by opening).
    """
    path = local_path(spec)
    if path is not None and not path.exists():
        raise StoreNotFound(f"{spec.class_path.rpartition(':')[2]}({path})")
