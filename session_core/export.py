"""Exporting the history to a file: JSON lines, CSV or Parquet, streamed with flat memory.

* ``jsonl``: one whole record per line (with its effective status).
* ``csv``: the flat columns of :data:`EXPORT_COLUMNS`, JSON-typed ones as JSON text.
* ``parquet``: the same columns, typed. The rows are streamed to a temporary JSON-lines file
  beside the output, which DuckDB converts (it streams too), so memory stays flat whatever the
  number of sessions.

The output appears only when complete: it is written under a temporary name in the same folder
and renamed, so an interrupted export leaves no half file behind.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .history import COLUMNS

FORMATS = ("jsonl", "csv", "parquet")
#: DuckDB types of the history columns by their kind in :data:`COLUMNS`
_SQL_TYPES = {"text": "VARCHAR", "time": "TIMESTAMPTZ", "number": "DOUBLE", "integer": "BIGINT", "boolean": "BOOLEAN"}
#: JSON-valued columns added to the flat ones
JSON_COLUMNS = ("params", "runtime_params")
EXPORT_COLUMNS: tuple[str, ...] = (*COLUMNS, *JSON_COLUMNS)


def flat_row(record: dict[str, Any]) -> dict[str, Any]:
    """The export columns of one record (times as ISO-8601 text, JSON columns as values)."""
    row: dict[str, Any] = {}
    for name, (getter, _) in COLUMNS.items():
        value = getter(record)
        row[name] = value.isoformat() if hasattr(value, "isoformat") else value
    cli = record.get("cli")
    row["params"] = cli.get("params") if isinstance(cli, dict) else None
    row["runtime_params"] = record.get("runtime_params")
    return row


def _write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for count, record in enumerate(records, 1):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count


def _write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for count, record in enumerate(records, 1):
        row = flat_row(record)
        writer.writerow(["" if row[c] is None else json.dumps(row[c]) if c in JSON_COLUMNS or isinstance(row[c], bool)
                         else row[c] for c in EXPORT_COLUMNS])
    return count


def write_stream(records: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    """Write ``records`` as ``jsonl`` or ``csv`` to an open text stream; return the count."""
    return _write_jsonl(records, out) if fmt == "jsonl" else _write_csv(records, out)


@contextlib.contextmanager
def _temporary_beside(target: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A new temporary file in ``target``'s folder, removed when the block ends."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
    finally:
        temp.unlink(missing_ok=True)


@contextlib.contextmanager
def _replaced_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` that becomes ``target`` when the block succeeds."""
    with _temporary_beside(target) as temp:
        yield temp
        os.replace(temp, target)


def export(records: Iterable[dict[str, Any]], fmt: str, target: Path) -> int:
    """Write ``records`` to ``target`` in ``fmt`` (one of :data:`FORMATS`); return the count.

    Raises:
        ValueError: an unknown format.
        OSError: the target folder is missing or not writable (nothing is left behind).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    with _replaced_atomically(target) as temp:
        if fmt != "parquet":
            with open(temp, "w", encoding="utf-8", newline="") as out:
                return write_stream(records, fmt, out)
        with _temporary_beside(target, ".jsonl") as rows_file:
            with open(rows_file, "w", encoding="utf-8") as out:
                count = _write_jsonl((flat_row(record) for record in records), out)
            _to_parquet(rows_file, temp)
        return count


def _to_parquet(rows_file: Path, target: Path) -> None:
    from .query import connect

    types = {name: _SQL_TYPES[kind] for name, (_, kind) in COLUMNS.items()}
    types.update({name: "JSON" for name in JSON_COLUMNS})
    columns = "{" + ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in types.items()) + "}"
    con = connect()
    try:
        con.execute(
            f"COPY (SELECT * FROM read_json(?, format = 'newline_delimited', columns = {columns})) "
            "TO ? (FORMAT parquet)",
            [str(rows_file), str(target)],
        )
    finally:
        con.close()
