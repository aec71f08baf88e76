"""Writing rows to stdout as a table, JSON, JSON lines or CSV (shared by the read commands).

Rows are streamed for JSON, JSON lines and CSV; a table needs every row to size its columns.
Times print as ISO-8601, JSON-typed values stay JSON (objects in JSON output, text elsewhere).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

FORMATS = ("table", "json", "jsonl", "csv")
#: a table cell longer than this is cut (with an ellipsis) so rows stay readable
MAX_CELL = 60


def plain(value: Any) -> Any:
    """A JSON-ready value: times as ISO-8601 text, decimals as floats."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def text(value: Any) -> str:
    """A cell of a table or CSV: empty for None, JSON for containers."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    out: IO[str] | None = None,
    json_columns: frozenset[str] = frozenset(),
) -> int:
    """Write ``rows`` under ``columns`` in ``fmt``; return how many rows were written.

    ``json_columns`` hold JSON text (DuckDB's JSON type) that JSON output embeds as values.
    """
    out = out or sys.stdout
    if fmt == "table":
        return _table(columns, rows, out)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        count = 0
        for count, row in enumerate(rows, 1):
            writer.writerow([text(value) for value in row])
        return count
    return write_objects(
        ({name: (json.loads(value) if name in json_columns and isinstance(value, str) else value)
          for name, value in zip(columns, row)} for row in rows),
        fmt,
        out,
    )


def write_objects(objects: Iterable[dict[str, Any]], fmt: str, out: IO[str] | None = None) -> int:
    """Write dicts as one JSON array (``json``) or one object per line (``jsonl``), streamed."""
    out = out or sys.stdout
    count = 0
    if fmt == "jsonl":
        for count, item in enumerate(objects, 1):
            out.write(json.dumps(plain(item), ensure_ascii=False) + "\n")
        return count
    out.write("[")
    for count, item in enumerate(objects, 1):
        out.write(("\n" if count == 1 else ",\n") + json.dumps(plain(item), ensure_ascii=False))
    out.write("\n]\n" if count else "]\n")
    return count


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: IO[str]) -> int:
    cells = [[_cut(text(value)) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in (list(columns), *cells)) for i in range(len(columns))]
    for row in (list(columns), *cells):
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n")
    return len(cells)


def _cut(cell: str) -> str:
    cell = cell.replace("\n", " ")
    return cell if len(cell) <= MAX_CELL else cell[: MAX_CELL - 1] + "…"
