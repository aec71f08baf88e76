"""Upgrading a store written in an older format, in place, after a backup.

A store remembers the format version it was written in; opening one in another version raises
:class:`~session_core.errors.FormatVersionError`. A *newer* format is refused (this code cannot
know it). An *older* one is converted by :func:`upgrade_store`, explicitly
(``python -m session_core migrate --upgrade STORE``), never as a side effect of opening.

Each backend owns its upgrades: a store class lists the versions it converts from in
``UPGRADABLE_FROM`` and implements two hooks, ``backup_for_upgrade`` and ``upgrade_format``
(:class:`~session_core.store.SessionStore`). This module only dispatches, and keeps the rule
every upgrade follows: first a complete backup beside the store, then the conversion (in one
transaction, so a crash leaves the store as it was and running the command again is safe).
Today SQLite converts its format 0 (kedro-viz's ``runs(id, blob)`` layout).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from session_core.errors import FormatVersionError
from session_core.kinds import LegacyIds
from session_core.registry import StoreSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpgradeResult:
    """What an upgrade did; ``backup`` is ``None`` when the store was already current.

    ``failures`` lists ``(session_id, reason)`` of rows that could not be converted; they stay
    in the backup.
    """

    location: str
    from_version: int
    to_version: int
    backup: Path | None = None
    sessions: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "backup": None if self.backup is None else str(self.backup),
            "sessions": self.sessions,
            "failed": len(self.failures),
        }


def upgrade_store(spec: StoreSpec, legacy_ids: LegacyIds | str = LegacyIds.REFUSE) -> UpgradeResult:
    """Bring the store named by ``spec`` to the current format; a no-op when it already is.

    A row that cannot be carried over (not JSON, too deep or too large, an id our rules refuse)
    never stops the others: it is listed in ``failures`` and stays in the backup. With
    ``legacy_ids="map"`` a refused id is carried over as ``migrate --legacy-ids map`` does.

    Raises:
        FormatVersionError: the store is newer than this code, or its store class cannot
            upgrade from its format.
        StoreError: the backup or the conversion failed (the store is left as it was).
    """
    try:
        with spec.open() as store:
            version = store.format_version()
            return UpgradeResult(store.location, version, version)
    except FormatVersionError as exc:
        found = exc
    store_class = spec.store_class()
    if found.found > found.supported or found.found not in store_class.UPGRADABLE_FROM:
        raise found
    logger.info("upgrading %s from format %d to %d", found.location, found.found, found.supported)
    backup = store_class.backup_for_upgrade(spec.path, found.found, found.location, **spec.options)
    logger.info("%s: backup written to %s", found.location, backup)
    # only asked of a hook when wanted: a backend's hook without the option keeps working
    mapping = {"legacy_ids": LegacyIds.MAP} if LegacyIds(legacy_ids) is LegacyIds.MAP else {}
    done = store_class.upgrade_format(spec.path, found.found, found.location, **mapping, **spec.options)
    for session_id, reason in done.failures:
        logger.warning("%s: session %s not upgraded (kept in %s): %s", found.location, session_id, backup, reason)
    return UpgradeResult(found.location, found.found, found.supported, backup, done.sessions, done.failures)
