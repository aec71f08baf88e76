"""Filter conditions a store may evaluate natively, and their rendering as a SQL WHERE clause.

:mod:`session_core.history` turns a user's filter into a tuple of :class:`Condition` and offers
them to the store's optional hook :meth:`SessionStore._iter_items_where`. A backend that keeps
records as JSON text in a SQL table (SQLite, DuckDB, PostgreSQL) renders them with
:func:`render_where`, giving only the SQL expression that extracts the text at a JSON path.

The conditions are a *pre-filter*: the caller checks every record it receives against the whole
filter again, so a backend may evaluate any subset of them (or none) and may return extra
records; it must never drop a record that satisfies them. Values are always bound as query
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
    conditions: Sequence[Condition], extract: Callable[[str], str], key: str | None = None
) -> tuple[str, list[str]]:
    """``(sql, parameters)`` for ``WHERE`` (``"TRUE"`` when there is no condition).

    Args:
        conditions: the conditions, all of which must hold.
        extract: maps a SQL expression giving the JSON path (a quoted literal or ``?``) to the
            expression giving the text at that path, e.g.
            ``lambda path: f"json_extract(record, {path})"``.
        key: the column holding the session id; a condition on :data:`SESSION_ID` compares it
            instead of the record's text, so the primary key's index serves it (the run
            browser's keyset pages).
    """
    clauses: list[str] = []
    parameters: list[str] = []
    for condition in conditions:
        if key is not None and condition.path == SESSION_ID:
            target = key
        elif condition.is_plain:
            target = extract(f"'{condition.json_path}'")
        else:
            target = extract("?")
            parameters.append(condition.json_path)
        if condition.op == "contains":
            clauses.append(f"instr({target}, ?) > 0")
        else:
            clauses.append(f"{target} {dict(eq='=', ge='>=', lt='<')[condition.op]} ?")
        parameters.append(condition.value)
    return (" AND ".join(clauses) or "TRUE"), parameters
