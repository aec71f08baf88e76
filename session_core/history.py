"""Reading the run history back: filters, times, the effective status, columns and sorting.

Every reader (``list``, ``stats``, ``export``, ``prune``, ``query`` and the run browser) goes
through this module, so they agree on what a filter means and on which runs are ``lost``.

* :class:`HistoryFilter` is the filter as a value: status (``lost`` included), branch, a time
  window on ``started_at``, ``--param KEY=VALUE`` pairs, host and a command substring. Build it
  from user text with :meth:`HistoryFilter.parse`, which raises :class:`InvalidFilter` naming
  the option at fault.
* :func:`effective_status` is the status a reader shows: a ``running`` record whose
  ``heartbeat_at`` is older than the threshold (default :data:`LOST_AFTER_INTERVALS` times its
  ``heartbeat_s``) reads as ``lost``. The stored record is never rewritten by a reader.
* :func:`iter_history` streams the matching records of any store, newest first by default,
  offering the filter to the store as :class:`~session_core.conditions.Condition` pre-filters
  (SQLite and DuckDB evaluate them in their WHERE clause) and checking every record again here.
* :data:`COLUMNS` are the flat, typed fields of a record (the columns of ``list``, ``export``
  and ``query``'s ``sessions`` relation); :func:`select_history` sorts and limits.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import TYPE_CHECKING, Any

from .conditions import SESSION_ID, Condition
from .errors import InvalidFilter
from .kinds import Status, choices
from .record import DEFAULT_HEARTBEAT_S, LOST_AFTER_INTERVALS

if TYPE_CHECKING:
    from .store import OnBadRecord, SessionStore

#: Every status a reader may show or filter on.
READ_STATUSES: tuple[str, ...] = tuple(choices(Status))

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str, field_name: str = "duration") -> timedelta:
    """``"7d"``, ``"12h"``, ``"90m"``, ``"30s"``, ``"2w"`` or combined (``"1d12h"``).

    Raises:
        InvalidFilter: naming ``field_name`` when ``text`` is not such a duration.
    """
    compact = text.strip().lower() if isinstance(text, str) else ""
    if not compact or _DURATION.sub("", compact):
        raise InvalidFilter(
            field_name, text, "write a duration as a number and a unit: 90d, 12h, 30m, 45s, 2w or 1d12h"
        )
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(compact)))


def parse_when(text: str, field_name: str, now: datetime | None = None) -> datetime:
    """A point in time (UTC) from an ISO date or time, or a duration meaning "that long ago".

    ``2026-12-01`` is that day's midnight UTC; a time without an offset is taken as UTC;
    ``7d`` is seven days before ``now``.

    Raises:
        InvalidFilter: naming ``field_name`` and the accepted forms.
    """
    value = text.strip() if isinstance(text, str) else ""
    if _DURATION.sub("", value.lower()) or not value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFilter(
                field_name,
                text,
                "give an ISO date or time (2026-12-01, 2026-12-01T08:30:00+00:00) or a duration "
                "meaning that long ago (7d, 12h, 30m)",
            ) from None
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return (now or utc_now()) - parse_duration(value, field_name)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def parse_time(value: Any) -> datetime | None:
    """A record's ISO-8601 time as an aware datetime (UTC when no offset), ``None`` if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def lost_threshold(record: dict[str, Any], lost_after: float | None = None) -> float:
    """Seconds of heartbeat silence after which a running record reads as lost."""
    if lost_after is not None:
        return lost_after
    interval = record.get("heartbeat_s")
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
        interval = DEFAULT_HEARTBEAT_S
    return LOST_AFTER_INTERVALS * float(interval)


def effective_status(
    record: dict[str, Any], now: datetime | None = None, lost_after: float | None = None
) -> str:
    """The status a reader shows: the stored one, except a ``running`` record whose
    ``heartbeat_at`` is older than :func:`lost_threshold` is ``lost``.

    A running record without ``heartbeat_at`` (heartbeats off, or written before they existed)
    stays ``running``: nothing says it stopped.
    """
    status = record.get("status")
    if status != Status.RUNNING:
        return str(status) if status is not None else ""
    beat = parse_time(record.get("heartbeat_at"))
    if beat is None:
        return Status.RUNNING
    silence = ((now or utc_now()) - beat).total_seconds()
    return Status.LOST if silence > lost_threshold(record, lost_after) else Status.RUNNING


def _nested(record: dict[str, Any], *keys: str) -> Any:
    value: Any = record
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


#: name -> (accessor from a record, type name). The flat, typed view of a record shared by
#: ``list``, ``export`` and ``query`` (SQL types in :mod:`session_core.query`). ``status`` is
#: the stored status; readers put the effective one in its place.
COLUMNS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "id": (lambda r: _as_text(r.get("session_id")), "text"),
    "status": (lambda r: _as_text(r.get("status")), "text"),
    "started_at": (lambda r: parse_time(r.get("started_at")), "time"),
    "ended_at": (lambda r: parse_time(r.get("ended_at")), "time"),
    "duration_s": (lambda r: _as_number(r.get("duration_s")), "number"),
    "exit_code": (lambda r: _as_int(r.get("exit_code")), "integer"),
    "branch": (lambda r: _as_text(_nested(r, "git", "branch")), "text"),
    "commit_sha": (lambda r: _as_text(_nested(r, "git", "commit_sha")), "text"),
    "dirty": (lambda r: _as_bool(_nested(r, "git", "dirty")), "boolean"),
    "command": (lambda r: _as_text(_nested(r, "cli", "command_path")), "text"),
    "package_name": (lambda r: _as_text(r.get("package_name")), "text"),
    "project_path": (lambda r: _as_text(r.get("project_path")), "text"),
    "host": (lambda r: _as_text(r.get("host")), "text"),
    "username": (lambda r: _as_text(r.get("username")), "text"),
    "heartbeat_at": (lambda r: parse_time(r.get("heartbeat_at")), "time"),
}


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """The record's :data:`COLUMNS` as a dict (times as aware datetimes, absent values None)."""
    return {name: getter(record) for name, (getter, _) in COLUMNS.items()}


def _param_value(record: dict[str, Any], key: str) -> list[Any]:
    """Values of ``key`` in the wrapped command's params and in Kedro's runtime params (a dotted
    key also looks inside nested runtime params)."""
    found = []
    for source in (_nested(record, "cli", "params"), record.get("runtime_params")):
        if isinstance(source, dict) and key in source:
            found.append(source[key])
    nested = _nested(record, "runtime_params", *key.split("."))
    if "." in key and nested is not None:
        found.append(nested)
    return found


def _value_equals(actual: Any, wanted: str) -> bool:
    """``--param lr=0.1`` matches the string ``"0.1"`` and the number ``0.1``; ``true`` matches
    ``True`` but ``1`` does not."""
    if isinstance(actual, str):
        return actual == wanted
    try:
        parsed = json.loads(wanted)
    except ValueError:
        return False
    return parsed == actual and isinstance(parsed, bool) == isinstance(actual, bool)


@dataclass(frozen=True)
class HistoryFilter:
    """Which records a reader wants; every field that is set must hold (AND).

    Attributes:
        status: an effective status (:data:`READ_STATUSES`, ``lost`` included).
        branch: the git branch, exactly.
        since, until: ``since <= started_at < until`` (aware datetimes).
        params: ``(key, value)`` pairs matched against the wrapped command's ``--key value``
            params and Kedro's runtime params (see :func:`_value_equals`).
        host: the recording machine's host name, exactly.
        command: a substring of the command line.
    """

    status: str | None = None
    branch: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    params: tuple[tuple[str, str], ...] = field(default=())
    host: str | None = None
    command: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        status: str | None = None,
        branch: str | None = None,
        since: str | None = None,
        until: str | None = None,
        params: Iterable[str] = (),
        host: str | None = None,
        command: str | None = None,
        now: datetime | None = None,
    ) -> HistoryFilter:
        """Build a filter from user text (CLI options, query-string values).

        Raises:
            InvalidFilter: naming the option (``status``, ``since``, ``until``, ``param``).
        """
        if status is not None and status not in READ_STATUSES:
            raise InvalidFilter("status", status, f"expected one of {', '.join(READ_STATUSES)}")
        pairs = []
        for pair in params:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise InvalidFilter("param", pair, "write it as KEY=VALUE, e.g. --param lr=0.1")
            pairs.append((key.strip(), value))
        now = now or utc_now()
        start = parse_when(since, "since", now) if since else None
        end = parse_when(until, "until", now) if until else None
        if start is not None and end is not None and start >= end:
            raise InvalidFilter("until", until, f"it is not after since ({since})")
        return cls(status or None, branch or None, start, end, tuple(pairs), host or None, command or None)

    @property
    def is_empty(self) -> bool:
        return self == HistoryFilter()

    def conditions(self) -> tuple[Condition, ...]:
        """The pre-filter a store may evaluate natively (a superset of the matches)."""
        found: list[Condition] = []
        if self.status is not None:
            stored = Status.RUNNING if self.status == Status.LOST else self.status
            found.append(Condition(("status",), "eq", stored))
        if self.branch is not None:
            found.append(Condition(("git", "branch"), "eq", self.branch))
        if self.host is not None:
            found.append(Condition(("host",), "eq", self.host))
        if self.command is not None:
            found.append(Condition(("cli", "command_path"), "contains", self.command))
        # started_at is ISO-8601 UTC text: compare on whole seconds, widened to stay a superset
        if self.since is not None:
            found.append(Condition(("started_at",), "ge", _second_text(self.since, ceil=False)))
        if self.until is not None:
            found.append(Condition(("started_at",), "lt", _second_text(self.until + timedelta(seconds=1), ceil=True)))
        return tuple(found)

    def matches(self, record: dict[str, Any], status: str) -> bool:
        """True when ``record`` (whose effective status is ``status``) passes every field."""
        if self.status is not None and status != self.status:
            return False
        if self.branch is not None and _nested(record, "git", "branch") != self.branch:
            return False
        if self.host is not None and record.get("host") != self.host:
            return False
        if self.command is not None and self.command not in str(_nested(record, "cli", "command_path") or ""):
            return False
        if self.since is not None or self.until is not None:
            started = parse_time(record.get("started_at"))
            if started is None:
                return False
            if self.since is not None and started < self.since:
                return False
            if self.until is not None and started >= self.until:
                return False
        return all(
            any(_value_equals(actual, wanted) for actual in _param_value(record, key))
            for key, wanted in self.params
        )


def _second_text(moment: datetime, ceil: bool) -> str:
    utc = moment.astimezone(timezone.utc)
    if ceil and utc.microsecond:
        utc += timedelta(seconds=1)
    return utc.replace(microsecond=0, tzinfo=None).isoformat()


def iter_history(
    store: SessionStore,
    where: HistoryFilter = HistoryFilter(),
    *,
    newest_first: bool = True,
    now: datetime | None = None,
    lost_after: float | None = None,
    after: str | None = None,
    on_error: OnBadRecord | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream the records of ``store`` that match ``where``, newest (highest id) first.

    Each yielded record is the stored one with ``status`` replaced by its
    :func:`effective_status` (the store is not changed). Memory stays flat except that a store
    without the native filter hook holds the ids (about 100 bytes each) for newest-first order.

    ``after`` resumes beyond that session id in the chosen order (keyset pagination: the run
    browser's next page): it is offered to the store as a condition on
    :data:`~session_core.conditions.SESSION_ID`, which SQL stores answer from their key's index.

    With ``on_error``, an unreadable record is reported through ``on_error(session_id, error)``
    and skipped (see :meth:`SessionStore.iter_matching`); without it, it raises.

    Raises (at the call): NotSupported (the store cannot list), StoreClosed; while streaming:
    CorruptRecord, StoreError.
    """
    now = now or utc_now()
    conditions = where.conditions()
    if after is not None:
        conditions += (Condition(SESSION_ID, "lt" if newest_first else "ge", after),)
    pairs = store.iter_matching(conditions, newest_first=newest_first, on_error=on_error)
    if after is not None:
        pairs = ((sid, record) for sid, record in pairs if (sid < after if newest_first else sid > after))
    return _matching(pairs, where, now, lost_after)


def _matching(
    pairs: Iterator[tuple[str, dict[str, Any]]], where: HistoryFilter, now: datetime, lost_after: float | None
) -> Iterator[dict[str, Any]]:
    for _, record in pairs:
        status = effective_status(record, now, lost_after)
        if where.matches(record, status):
            if status != record.get("status"):
                record["status"] = status
            yield record


#: Fields :func:`select_history` sorts by (any column).
SORT_FIELDS: tuple[str, ...] = tuple(COLUMNS)


@dataclass(frozen=True)
class SortOrder:
    """A sort field and direction; ``parse("-duration_s")`` is duration, largest first."""

    field: str = "id"
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> SortOrder:
        """``FIELD`` (ascending) or ``-FIELD`` (descending).

        Raises:
            InvalidFilter: ``sort`` naming the known fields.
        """
        name = text.strip()
        descending = name.startswith("-")
        name = name.lstrip("-+")
        if name not in COLUMNS:
            raise InvalidFilter("sort", text, f"sort by one of {', '.join(SORT_FIELDS)}, '-' first for descending")
        return cls(name, descending)


def select_history(
    store: SessionStore,
    where: HistoryFilter = HistoryFilter(),
    *,
    order: SortOrder = SortOrder(),
    limit: int | None = None,
    now: datetime | None = None,
    lost_after: float | None = None,
) -> list[dict[str, Any]]:
    """The matching records in ``order``, at most ``limit`` (``None``: all); records without a
    value for the sort field come last, in either direction.

    Sorting by ``id`` streams and stops after ``limit``; another field keeps at most ``limit``
    records (in a heap, plus up to ``limit`` without a value), or all of them without a limit.
    """
    records = iter_history(
        store, where, newest_first=order.descending or order.field != "id", now=now, lost_after=lost_after
    )
    if order.field == "id":
        return list(records if limit is None else islice(records, limit))
    return sort_records(records, order, limit)


def sort_records(
    records: Iterable[dict[str, Any]], order: SortOrder, limit: int | None = None
) -> list[dict[str, Any]]:
    """``records`` in ``order``, at most ``limit``; records without a value for the sort field
    come last, in either direction. With a limit at most ``limit`` records are held (a heap,
    plus up to ``limit`` without a value); without one, all of them."""
    value = COLUMNS[order.field][0]  # one type per column, None when absent
    absent: list[dict[str, Any]] = []

    def present() -> Iterator[dict[str, Any]]:
        for record in records:
            if value(record) is not None:
                yield record
            elif limit is None or len(absent) < limit:
                absent.append(record)

    if limit is None:
        return sorted(present(), key=value, reverse=order.descending) + absent
    pick = heapq.nlargest if order.descending else heapq.nsmallest
    return (pick(limit, present(), key=value) + absent)[:limit]


__all__ = [
    "COLUMNS",
    "READ_STATUSES",
    "SORT_FIELDS",
    "HistoryFilter",
    "SortOrder",
    "effective_status",
    "flat",
    "iter_history",
    "lost_threshold",
    "parse_duration",
    "parse_time",
    "parse_when",
    "select_history",
    "sort_records",
]
