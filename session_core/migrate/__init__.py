"""Moving session history between stores, reading legacy Kedro sources, upgrading formats.

* :func:`~.engine.migrate` copies every session of one store into another (streamed, batched,
  idempotent, resumable, with conflict handling and verification);
* :mod:`.kedro_shelve` and :mod:`.kedro_viz` read Kedro's ``ShelveStore`` folders and kedro-viz
  databases as read-only sources, never running code found in them;
* :func:`~.upgrade.upgrade_store` converts a store written in an older format, after a backup.

The command line is ``python -m session_core migrate`` (:mod:`session_core.commands.migrate`).
"""

from .engine import MigrationOptions, MigrationReport, Outcome, migrate

__all__ = ["MigrationOptions", "MigrationReport", "Outcome", "migrate"]
