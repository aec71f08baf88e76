"""Filter conditions a store may evaluate natively, and their rendering as a SQL WHERE clause.

:mod:`session_core.history` turns a user's filter into a tuple of :class:`Condition` and offers
them to the store's optional hook :meth:`SessionStore._iter_items_where`. A backend that keeps
records as JSON text in a SQL table (SQLite, DuckDB, PostgreSQL) renders them with
:func:`render_where`, giving only the SQL expression that extracts the text at a JSON path.

The conditions are a *pre-filter*: the caller checks every record it receives against the whole
filter again, so a backend may evaluate any subset of them (or none) and may return extra
records; it must never drop a record that satisfies them. Nor may it drop a record it cannot read
as JSON: the caller reports such a record as unreadable (``list``, ``stats``, ``export`` name it
and exit 3), so :func:`render_where` lets every such row through (its ``unreadable`` argument). Values are always bound as query
parameters; a JSON path is written into the SQL only when it is a plain dotted path of
identifiers (so an expression index on it can be used), otherwise it is bound too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

#: ``eq``: text equal; ``ge``/``lt``: text order (ISO-8601 UTC times sort as text);
#: ``contains``: substring.
Operator = Literal["eq", "ge", "lt", "contains"]
OPERATORS: tuple[str, ...] = ("eq", "ge", "lt", "contains")
#: The path of the session id, which SQL stores also keep as their key column.
SESSION_ID: tuple[str, ...] = ("session_id",)
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Condition:
    """``text at path <op> value``: the record's value at ``path`` compared as text.

    Attributes:
        path: the keys from the record's root (``("git", "branch")``).
        op: one of :data:`OPERATORS`.
        value: the text to compare with.
    """

    path: tuple[str, ...]
    op: Operator
    value: str

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"unknown condition operator {self.op!r} (known: {', '.join(OPERATORS)})")
        if not self.path:
            raise ValueError("a condition needs a non-empty path")

    @property
    def json_path(self) -> str:
        """The path in SQLite/DuckDB/PostgreSQL JSON path syntax (``$.git.branch``)."""
        return "$" + "".join(f".{key}" if _PLAIN_KEY.match(key) else f".{json.dumps(key)}" for key in self.path)

    @property
    def is_plain(self) -> bool:
        """True when every key is a plain identifier, so the path may be written into SQL."""
        return all(_PLAIN_KEY.match(key) for key in self.path)


def render_where(
    conditions: Sequence[Condition],
    extract: Callable[[str], str],
    key: str | None = None,
    unreadable: str | None = None,
    placeholder: str = "?",
    contains: Callable[[str, str], str] = lambda text, part: f"instr({text}, {part}) > 0",
) -> tuple[str, list[str]]:
    """``(sql, parameters)`` for ``WHERE`` (``"TRUE"`` when there is no condition).

    Args:
        conditions: the conditions, all of which must hold.
        extract: maps a SQL expression giving the JSON path (a quoted literal or ``?``) to the
            expression giving the text at that path, e.g.
            ``lambda path: f"json_extract(record, {path})"`` (the marker is ``placeholder``).
        key: the column holding the session id; a condition on :data:`SESSION_ID` compares it
            instead of the record's text, so the primary key's index serves it (the run
            browser's keyset pages).
        unreadable: SQL that is true for (at least) every row whose record is not valid JSON:
            such a row passes the conditions on the record (not those on ``key``), so that the
            caller meets it and reports it instead of it silently matching nothing. ``None``
            when the store cannot hold such a row (PostgreSQL's ``json`` column).
        placeholder: the driver's parameter marker (``?``; psycopg's ``%s``).
        contains: SQL that is true when text ``text`` holds ``part`` (both SQL expressions);
            SQLite's and DuckDB's ``instr`` by default (PostgreSQL: ``strpos``).
    """
    on_key: list[str] = []
    on_record: list[str] = []
    key_parameters: list[str] = []
    record_parameters: list[str] = []
    for condition in conditions:
        if key is not None and condition.path == SESSION_ID:
            target, clauses, parameters = key, on_key, key_parameters
        elif condition.is_plain:
            target, clauses, parameters = extract(f"'{condition.json_path}'"), on_record, record_parameters
        else:
            target, clauses, parameters = extract(placeholder), on_record, record_parameters
            parameters.append(condition.json_path)
        if condition.op == "contains":
            clauses.append(contains(target, placeholder))
        else:
            clauses.append(f"{target} {dict(eq='=', ge='>=', lt='<')[condition.op]} {placeholder}")
        parameters.append(condition.value)
    if on_record and unreadable is not None:
        on_record = [f"(({unreadable}) OR ({' AND '.join(on_record)}))"]
    return (" AND ".join(on_key + on_record) or "TRUE"), key_parameters + record_parameters
