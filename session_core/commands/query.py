"""``query "SQL"``: run a read-only SELECT over the relation ``sessions`` (see docs/query.md)."""

from __future__ import annotations

import argparse

from ._common import add_strict_argument

HELP = "run a read-only SQL SELECT over the relation `sessions` (DuckDB; see docs/query.md)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help='one SELECT, e.g. "select status, count(*) from sessions group by status"')
    parser.add_argument("--format", choices=("table", "json", "jsonl", "csv"), default="table",
                        help="output format (default: table)")
    parser.add_argument("--lost-after", type=float, metavar="SECONDS",
                        help="a running session silent this long reads as lost (default: 3 heartbeats)")
    add_strict_argument(parser)


def main(args: argparse.Namespace) -> int:
    from ..query import run_query
    from ._common import BadRecords, open_store
    from ._output import write_rows

    with open_store(args, create=False) as store:
        bad = BadRecords(store.location, args.strict)
        for result in run_query(store, args.sql, lost_after=args.lost_after, on_error=bad):
            json_columns = frozenset(c for c, t in zip(result.columns, result.types) if t == "JSON")
            write_rows(result.columns, result.rows(), args.format, json_columns=json_columns)
    return bad.exit_code()
