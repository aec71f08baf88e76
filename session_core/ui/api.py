"""The JSON API under ``/api/``: read-only answers for the page and for scripts (docs/ui.md).

``GET /api/store``                 where the store is
``GET /api/sessions?FILTERS``      one page of runs (``sort``, ``limit``, ``after`` / ``offset``)
``GET /api/sessions/ID``           one whole record
``GET /api/stats?FILTERS``         plot series (``group=branch|command|host``, ``limit``)
``GET /api/compare?id=A&id=B``     2 to 4 records side by side, differences marked

Every answer is ``(HTTP status, JSON object)``; an error is ``{"error": {"type", "message",
"field"?}}`` with 400 (a bad parameter), 404 (no such session or route) or 500 (the store
failed). The store is used under one lock: a store instance is not shared between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from session_core.errors import InvalidFilter, InvalidSessionId, SessionNotFound, StoreError

from . import data, summaries
from .data import Query

if TYPE_CHECKING:
    from session_core.store import SessionStore

Answer = tuple[int, dict[str, Any]]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
DEFAULT_STATS_LIMIT = 2000
MAX_STATS_LIMIT = 100_000
COMPARE_MIN, COMPARE_MAX = 2, 4


def _int(query: Query, name: str, default: int, low: int, high: int) -> int:
    text = data.one(query, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise InvalidFilter(name, text, f"expected a whole number from {low} to {high}")
    return value


def _error(status: int, exc: BaseException, field: str | None = None) -> Answer:
    body: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if field is not None:
        body["field"] = field
    return status, {"error": body}


class Api:
    """Answers API paths from one open store."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._routes: dict[str, Callable[[Query], dict[str, Any]]] = {
            "store": self._location,
            "sessions": self._sessions,
            "stats": self._stats,
            "compare": self._compare,
        }

    def answer(self, path: str, query: Query) -> Answer:
        """The answer to ``GET path?query`` (``path`` starts with ``/api/``)."""
        name, _, rest = path[len("/api/"):].partition("/")
        try:
            with self._lock:
                if name == "sessions" and rest:
                    return 200, self._session(unquote(rest))
                if name in self._routes and not rest:
                    return 200, self._routes[name](query)
        except InvalidSessionId as exc:
            return _error(400, exc, "id")
        except SessionNotFound as exc:
            return _error(404, exc)
        except StoreError as exc:
            return _error(500, exc)
        except InvalidFilter as exc:
            return _error(400, exc, exc.field)
        return 404, {"error": {"type": "NotFound", "message": f"no API route {path}; see docs/ui.md"}}

    def _location(self, query: Query) -> dict[str, Any]:
        return {"location": self._store.location}

    def _sessions(self, query: Query) -> dict[str, Any]:
        where = data.parse_filter(query)
        order = data.parse_sort(query)
        limit = _int(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        after = data.one(query, "after")
        if after is not None and order.field != "id":
            raise InvalidFilter("after", after, "after pages a sort by id; use offset with another sort")
        offset = _int(query, "offset", 0, 0, 10**9)
        result = data.page(self._store, where, order, limit, after=after, offset=offset)
        return {"sessions": result.rows, "next": result.next}

    def _session(self, session_id: str) -> dict[str, Any]:
        return {"session": data.load_session(self._store, session_id)}

    def _stats(self, query: Query) -> dict[str, Any]:
        where = data.parse_filter(query)
        group = data.one(query, "group") or summaries.GROUPS[0]
        if group not in summaries.GROUPS:
            raise InvalidFilter("group", group, f"expected one of {', '.join(summaries.GROUPS)}")
        limit = _int(query, "limit", DEFAULT_STATS_LIMIT, 1, MAX_STATS_LIMIT)
        return summaries.stats(data.newest(self._store, where), group, limit)

    def _compare(self, query: Query) -> dict[str, Any]:
        ids = list(dict.fromkeys(query.get("id") or []))
        if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
            raise InvalidFilter("id", ids, f"compare takes {COMPARE_MIN} to {COMPARE_MAX} different ids")
        return summaries.compare([data.load_session(self._store, session_id) for session_id in ids])
