"""Kedro-facing variants of every built-in store, for a Kedro project's ``settings.py``::

    from session_core.stores.kedro import KedroSQLiteStore

    SESSION_STORE_CLASS = KedroSQLiteStore
    SESSION_STORE_ARGS = {"path": ".session_core/sessions.db"}  # optional: Kedro's default is <project>/sessions

Kedro accepts only subclasses of its own ``kedro.framework.session.store.BaseSessionStore``, so
each variant here subclasses that and one of our stores. They are generated from the registry's
table of built-in stores (:data:`session_core.registry.BUILTIN_STORES`), named ``Kedro`` + the
wrapped class (``KedroSQLiteStore``, ``KedroDuckDBStore``, ``KedroShelveStore``,
``KedroJSONStore``, ``KedroBaseSessionStore``), and built on first access, so naming one does
not import the others' dependencies. This module needs kedro; nothing else of ours imports it.

What a variant adds to the store it wraps (:class:`KedroStore`):

* At ``save()`` Kedro's data is normalised to the portable record
  (:func:`session_core.kedro_record.normalise`) before the core's checks, and a short git sha
  without a branch is replaced by the full git info of the project (one ``git status`` call).
* A store that fails never fails ``kedro run`` or ``kedro ipython``: a store that cannot open,
  read or save is logged, reads give an empty session, and the record goes to the local spool
  (``python -m session_core flush`` sends it on). ``SESSION_STORE_ARGS = {"strict": True}``
  raises instead. A bad setting (an unknown option) still raises: that is a mistake to fix,
  not an outage to ride out.
* Each instance with a session id is findable by :func:`live_store`, which is how the hooks
  (:mod:`session_core.kedro_hooks`) add status and timings to the record Kedro saves.
"""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path
from typing import Any, ClassVar

from kedro.framework import project as kedro_project
from kedro.framework.session.store import BaseSessionStore as _KedroBaseSessionStore

from session_core import spool
from session_core.config import ignore_new_store_folder
from session_core.errors import ConfigError, InvalidSessionId, SessionCoreError
from session_core.gitinfo import collect_git
from session_core.kedro_record import normalise
from session_core.registry import BUILTIN_STORES, kedro_variants, load_class
from session_core.store import SessionStore

logger = logging.getLogger(__name__)

_VARIANTS = kedro_variants()
_LIVE: weakref.WeakValueDictionary[str, KedroStore] = weakref.WeakValueDictionary()

__all__ = ["KedroStore", "live_store", *sorted(_VARIANTS)]


class KedroStore(SessionStore):
    """The Kedro-facing behaviour, layered over one of our stores by the generated variants.

    Args:
        path: as for the wrapped store (Kedro passes ``<project>/sessions`` when none is set).
        session_id: Kedro's session id.
        strict: raise store failures instead of spooling the record (default ``False``).
        **options: the wrapped store's options.

    Raises:
        ConfigError: an option the wrapped store does not take (always raised).
        StoreError: only with ``strict=True``.
    """

    #: the class path of the wrapped store, which ``list``/``show``/``flush`` open directly
    core_class_path: ClassVar[str]

    def __init__(
        self, path: Any = None, session_id: str | None = None, *, strict: bool = False, **options: Any
    ) -> None:
        self._strict = bool(strict)
        self._unavailable: SessionCoreError | None = None
        self._git_completed = False
        if type(self).capabilities.durable:  # Kedro gives even no-op and memory stores a path
            ignore_new_store_folder(path)  # Kedro's default <project>/sessions is not git-ignored
        try:
            super().__init__(path, session_id, **options)
        except (ConfigError, InvalidSessionId):
            raise
        except SessionCoreError as exc:
            if self._strict:
                raise
            self._unavailable = exc
            logger.error(
                "Kedro session %s: session store unavailable, the record will wait in the spool: %s",
                session_id, exc,
            )
        if session_id is not None:
            _LIVE[session_id] = self

    def read(self) -> dict[str, Any]:
        """The persisted data; empty (and logged) when the store cannot be read, unless strict."""
        if self._unavailable is not None:
            return {}
        try:
            return super().read()
        except SessionCoreError as exc:
            if self._strict:
                raise
            logger.error("Kedro session %s: reading the session store failed: %s", self._session_id, exc)
            return {}

    def save(self) -> None:
        """Normalise Kedro's data and save it; on a store failure spool it (unless strict)."""
        session_id = self._require_session()
        self._complete_git()
        record = normalise(self.data, getattr(kedro_project, "PACKAGE_NAME", None))
        error = self._unavailable or self._write(session_id, record)
        if error is None:
            spool.discard(spool.spool_dir(), session_id)
            return
        if self._strict:
            raise error
        spool.keep(spool.spool_dir(), self._spool_target(), record, error)

    def _write(self, session_id: str, record: dict[str, Any]) -> SessionCoreError | None:
        try:
            self.write(session_id, record)
        except SessionCoreError as exc:
            return exc
        return None

    def _complete_git(self) -> None:
        """Replace Kedro's git info (short sha, no branch) with ours, once per session."""
        git = self.data.get("git")
        project_path = self.data.get("project_path")
        if self._git_completed or project_path is None or (isinstance(git, dict) and "branch" in git):
            return
        self._git_completed = True
        self.data["git"] = collect_git(project_path)

    def _spool_target(self) -> dict[str, Any]:
        """Name the wrapped store as the project's configuration does, so ``flush`` finds it."""
        local = _local_path(self._path)
        return spool.target_of(self.core_class_path, self._path if local is None else str(local))


def _local_path(path: Any) -> Path | None:
    """``path`` as an absolute local path; ``None`` for URLs and non-paths."""
    if isinstance(path, (str, os.PathLike)) and "://" not in os.fspath(path):
        return Path(path).expanduser().absolute()
    return None


def live_store(session_id: str) -> KedroStore | None:
    """The Kedro-facing store instance of a running Kedro session in this process, if any."""
    return _LIVE.get(session_id)


def _make_variant(name: str) -> type[KedroStore]:
    class_path, extra = BUILTIN_STORES[_VARIANTS[name]]
    try:
        core = load_class(class_path, extra)
    except ConfigError as exc:
        raise ImportError(f"cannot build {name}: {exc}", name=__name__) from exc
    return type(
        name,
        (KedroStore, core, _KedroBaseSessionStore),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"{core.__name__} for Kedro's SESSION_STORE_CLASS (see :class:`KedroStore`).",
            "core_class_path": class_path,
        },
    )


def __getattr__(name: str) -> type[KedroStore]:
    if name not in _VARIANTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    variant = globals()[name] = _make_variant(name)
    return variant


def __dir__() -> list[str]:
    return sorted({*globals(), *_VARIANTS})
