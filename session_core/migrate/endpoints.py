"""Naming the two ends of a migration: every store name, plus the legacy sources.

SRC and DST accept whatever ``--store`` accepts (short names, URLs, paths,
``package.module:Class``; see :mod:`session_core.location`), and SRC also accepts the legacy
schemes, which name read-only readers:

* ``kedro-shelve:///path/to/folder``: a folder written by Kedro's ``ShelveStore``;
* ``kedro-viz:///path/to/session_store.db``: a kedro-viz database (or the folder holding it).

As with ``sqlite:///``, three slashes start a path relative to the project folder and four an
absolute one. A source is opened read-only (``StoreSpec.open(create=False)``): a mistyped source
path is reported, never created as an empty store. :func:`same_store` tells one store spelled
two ways (relative and absolute, ``..``, symlinks) apart from two stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from session_core.config import parse_store
from session_core.errors import ConfigError
from session_core.location import UrlForm, identity, merge_options, parse_url, split_scheme, suggest
from session_core.registry import StoreSpec, known_schemes

#: Legacy URL scheme -> the reader class (read-only; a source only).
LEGACY_SCHEMES = {
    "kedro-shelve": "session_core.migrate.kedro_shelve:KedroShelveReader",
    "kedro-viz": "session_core.migrate.kedro_viz:KedroVizReader",
}


def parse_endpoint(
    value: str, options: dict[str, Any] | None, project_path: Path, setting: str, *, source: bool
) -> StoreSpec:
    """The :class:`StoreSpec` of one end of a migration.

    Raises:
        ConfigError: an unknown scheme or name, bad options, or a legacy scheme as destination;
            ``setting`` (``SRC`` or ``DST``) is named.
    """
    scheme = split_scheme(value.strip()) if isinstance(value, str) else None
    if scheme in LEGACY_SCHEMES:
        if not source:
            raise ConfigError(setting, value, f"{scheme}:// is a legacy format, readable as a source only")
        location = parse_url(value.strip(), UrlForm.PATH, project_path, setting)
        return StoreSpec(LEGACY_SCHEMES[scheme], location.target, merge_options(location.options, options or {}, setting), origin=location)
    if scheme is not None and scheme not in known_schemes():
        known = sorted({*known_schemes(), *LEGACY_SCHEMES})
        close = suggest(scheme, known)
        hint = f"did you mean {close}://? " if close else ""
        raise ConfigError(setting, value, f"unknown URL scheme {scheme!r}; {hint}known: {', '.join(known)}", forms=True)
    return parse_store(value, options, project_path, setting)


def same_store(first: StoreSpec, second: StoreSpec) -> bool:
    """True when both specs name one store, however each is spelled."""
    return identity(first.store_class(), first.path) == identity(second.store_class(), second.path)
