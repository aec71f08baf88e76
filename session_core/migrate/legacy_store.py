"""The shared shape of the legacy readers: read-only stores over a location that must exist.

A legacy source (a Kedro shelve folder, a kedro-viz database) is only ever a migration source,
so its reader is a :class:`~session_core.store.SessionStore` that lists and reads and refuses
every write. Being a store, it gets the core's id checks, error wrapping and decoding for free,
and the migration engine treats it like any other source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from session_core.errors import NotSupported, StoreNotFound
from session_core.store import Capabilities, SessionStore


class LegacyReader(SessionStore):
    """A read-only store over an existing legacy location.

    Raises (on construction):
        StoreNotFound: nothing exists at ``path``; nothing is created there.
    """

    capabilities: Capabilities = Capabilities(
        persistent=True, listing=True, delete=False, multiprocess=False, crash_safe=True
    )

    def _setup(self, path: Any, **options: Any) -> None:
        super()._setup(path, **options)
        if path is None:
            raise TypeError(f"{type(self).__name__} needs a path")
        self._root = Path(path).expanduser().absolute()
        if not self._root.exists():
            raise StoreNotFound(f"{type(self).__name__}({self._root})")
        self._open(self._root)

    def _open(self, root: Path) -> None:
        """Check the legacy layout at ``root`` and prepare to read it."""
        raise NotImplementedError

    def _location(self) -> str:
        return str(self._root)

    def _put(self, session_id: str, text: str) -> None:
        raise NotSupported(type(self).__name__, "writes (legacy sources are read-only)")
