"""``export -o FILE``: the filtered history as JSON lines, CSV or Parquet, streamed."""

from __future__ import annotations

import argparse
import sys

from ._common import add_strict_argument
from ._filters import add_filter_arguments

HELP = "write the (filtered) history to a file: jsonl, csv or parquet, oldest first"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("jsonl", "csv", "parquet"),
                        help="default: from the file name's suffix (.jsonl, .csv, .parquet)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the file to write (replaced when complete); '-' is stdout (jsonl, csv)")
    add_filter_arguments(parser)
    add_strict_argument(parser)


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import SessionCoreError
    from ..export import export, write_stream
    from ..history import iter_history
    from ._common import BadRecords, open_store
    from ._filters import filter_from

    fmt = args.format or {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(Path(args.output).suffix)
    if fmt is None:
        print("error: give --format jsonl|csv|parquet (the file name's suffix does not say)", file=sys.stderr)
        return 2
    if args.output == "-" and fmt == "parquet":
        print("error: parquet cannot be written to stdout; give -o FILE", file=sys.stderr)
        return 2
    where = filter_from(args)
    with open_store(args, create=False) as store:
        bad = BadRecords(store.location, args.strict)
        records = iter_history(store, where, newest_first=False, on_error=bad)
        if args.output == "-":
            count = write_stream(records, fmt, sys.stdout)
        else:
            try:
                count = export(records, fmt, Path(args.output))
            except OSError as exc:
                if isinstance(exc, SessionCoreError):
                    raise
                print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
                return 1
        print(f"exported {count} session(s) from {store.location} as {fmt}", file=sys.stderr)
    return bad.exit_code()
