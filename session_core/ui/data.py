"""Everything the run browser reads from a store: pages of runs, one run, plot input.

A thin layer over :mod:`session_core.history`, so the page means by a filter, a sort and the
status ``lost`` exactly what ``list``, ``stats`` and ``query`` mean. Filters arrive as the API's
query-string values (``status``, ``branch``, ``since``, ``until``, ``param``, ``host``,
``command``).

Pages sorted by id (newest first by default) are keyset pages: ``after`` is the last id of the
previous page and the store skips the newer rows itself, so no page loads the whole store.
Pages sorted by another column are offset pages (a bounded heap of ``offset + limit`` runs).

Raises :class:`~session_core.errors.InvalidFilter` (``field`` names the parameter) for values
it cannot read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from session_core.history import (
    HistoryFilter,
    SortOrder,
    effective_status,
    flat,
    iter_history,
    select_history,
)

if TYPE_CHECKING:
    from session_core.store import SessionStore

Query = Mapping[str, Sequence[str]]


def one(query: Query, name: str) -> str | None:
    """The last value of ``name`` in a query string, ``None`` when absent or empty."""
    values = query.get(name) or []
    return values[-1] if values and values[-1] != "" else None


def parse_filter(query: Query) -> HistoryFilter:
    """The history filter named by an API query string.

    Raises:
        InvalidFilter: naming ``status``, ``since``, ``until`` or ``param``.
    """
    return HistoryFilter.parse(
        status=one(query, "status"),
        branch=one(query, "branch"),
        since=one(query, "since"),
        until=one(query, "until"),
        params=[pair for pair in query.get("param") or [] if pair],
        host=one(query, "host"),
        command=one(query, "command"),
    )


def parse_sort(query: Query) -> SortOrder:
    """``sort=FIELD`` or ``sort=-FIELD`` (default: newest first). Raises InvalidFilter."""
    text = one(query, "sort")
    return SortOrder() if text is None else SortOrder.parse(text)


def row(record: dict[str, Any]) -> dict[str, Any]:
    """A run as a table row: the history's flat columns, times as ISO-8601 text."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in flat(record).items()
    }


@dataclass(frozen=True)
class Page:
    """One page of table rows and the query parameters of the next one (``None`` at the end)."""

    rows: list[dict[str, Any]]
    next: dict[str, Any] | None


def page(
    store: SessionStore, where: HistoryFilter, order: SortOrder, limit: int,
    after: str | None = None, offset: int = 0,
) -> Page:
    """One page of rows: keyset by id (``after``), or by ``offset`` for any other sort."""
    if order.field == "id":
        rows: list[dict[str, Any]] = []
        for record in iter_history(store, where, newest_first=order.descending, after=after):
            if len(rows) == limit:
                return Page(rows, {"after": rows[-1]["id"]})
            rows.append(row(record))
        return Page(rows, None)
    ranked = select_history(store, where, order=order, limit=offset + limit + 1)
    more = len(ranked) > offset + limit
    return Page([row(r) for r in ranked[offset : offset + limit]], {"offset": offset + limit} if more else None)


def newest(store: SessionStore, where: HistoryFilter) -> Iterator[dict[str, Any]]:
    """The matching runs, newest first, streamed (the plots read as many as they need)."""
    return iter_history(store, where)


def load_session(store: SessionStore, session_id: str) -> dict[str, Any]:
    """One whole record, its ``status`` the effective one (``lost`` for a silent running run).

    Raises:
        InvalidSessionId, SessionNotFound, CorruptRecord, StoreError.
    """
    record = store.load(session_id)
    if record.get("status") is not None:
        record["status"] = effective_status(record)
    return record
