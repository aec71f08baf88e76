"""``stats``: runs, failure rate, median and p95 duration, overall and per status/branch/command."""

from __future__ import annotations

import argparse
import json

from ._common import add_strict_argument
from ._filters import add_filter_arguments

HELP = "runs, failure rate, median and p95 duration, overall and per status, branch, command, host"
GROUPINGS = ("status", "branch", "command", "host")  # session_core.stats.GROUPINGS, without its import


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_filter_arguments(parser)
    parser.add_argument("--by", action="append", choices=GROUPINGS,
                        help="group by this (repeatable; default: status, branch and command)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_strict_argument(parser)


def main(args: argparse.Namespace) -> int:
    from ..history import iter_history
    from ..stats import summarize
    from ._common import BadRecords, open_store
    from ._filters import filter_from
    from ._output import write_rows

    where = filter_from(args)
    with open_store(args, create=False) as store:
        bad = BadRecords(store.location, args.strict)
        summary = summarize(iter_history(store, where, on_error=bad), by=args.by or ("status", "branch", "command"))
    if args.format == "json":
        print(json.dumps(summary.as_dict(), ensure_ascii=False))
        return bad.exit_code()
    columns = ("group", "runs", "failed", "failure_rate", "median_s", "p95_s")

    def cells(label: str, figures) -> tuple:
        rate = f"{figures.failure_rate:.1%}"
        seconds = [None if s is None else round(s, 3) for s in (figures.median_s, figures.p95_s)]
        return (label, figures.runs, figures.failed, rate, *seconds)

    rows = [cells("all runs", summary.overall)]
    for name, groups in summary.groups.items():
        rows += [cells(f"{name}={'(none)' if g.group is None else g.group}", g) for g in groups]
    write_rows(columns, rows, "table")
    return bad.exit_code()

