"""The no-op store: Kedro's default, which persists nothing.

Every session's mapping works in memory, ``save()`` keeps nothing, listing yields nothing and
loading any id finds nothing. Its capabilities say so (``persistent=False``), and the
conformance suite skips the persistence scenarios for it with that reason printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from session_core.store import Capabilities, SessionStore


class BaseSessionStore(SessionStore):
    """A store that persists nothing (values are still checked on ``save()``)."""

    capabilities = Capabilities(
        persistent=False, durable=False, listing=True, delete=False, multiprocess=True, crash_safe=True
    )

    def _location(self) -> str:
        return "nowhere (persists nothing)"

    def _get(self, session_id: str) -> None:
        return None

    def _put(self, session_id: str, text: str) -> None:
        return None

    def _iter_ids(self) -> Iterator[str]:
        return iter(())
