"""The spec of the store named on the command line, placed in a fresh location per test."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from session_core.config import parse_store
from session_core.errors import ConfigError
from session_core.location import local_path
from session_core.registry import StoreSpec


#: The folder handed to a store named without a location (``package.module:Class`` alone).
FRESH_FOLDER = "store"


def spec_for_option(value: str, options: dict[str, Any], folder: Path, *, create: bool = False) -> StoreSpec:
    """Resolve ``--store`` like the toolkit's configuration does, rooted in ``folder``.

    Short names and relative URLs land inside ``folder`` (a fresh temporary folder per test);
    URL stores (``s3://bucket/prefix``, ``memory://``) get a fresh sub-prefix per test. A class
    path given without ``path`` gets a fresh empty folder of its own (``folder/store``, made
    when ``create`` is true), so an author's first command tests the store instead of failing
    every scenario with "needs a path"; ``--store-arg path=NAME`` names a file or folder inside
    ``folder`` instead.

    Raises:
        ConfigError: the value is not a store, or names a fixed local location, which every test
            would share.
    """
    spec = parse_store(value, options, project_path=folder, setting="--store")
    if spec.path is None and ":" in value and "://" not in value:
        fresh = folder / FRESH_FOLDER
        if create:
            fresh.mkdir(parents=True, exist_ok=True)
        return replace(spec, path=str(fresh))
    path = local_path(spec.path)
    if isinstance(spec.path, str) and path is None:
        joint = "" if spec.path.endswith("/") else "/"
        return replace(spec, path=f"{spec.path}{joint}conformance-{uuid.uuid4().hex}")
    if path is not None and not path.is_relative_to(folder.absolute()):
        raise ConfigError(
            "--store", value, "the suite needs a fresh location per test: give a short name or a "
            "relative URL (sqlite:///runs.db), not a fixed local path"
        )
    return spec
