"""``prune``: delete old sessions, keeping the newest, with a dry run and a confirmation."""

from __future__ import annotations

import argparse
import sys

from ._curate import add_curate_arguments
from ._filters import add_filter_arguments

HELP = "delete sessions older than a duration (--older-than 90d), keeping the newest N (--keep-last)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--older-than", metavar="DURATION",
                        help="delete sessions that started longer ago than this (90d, 12h, 2w)")
    parser.add_argument("--keep-last", type=int, metavar="N",
                        help="never delete the newest N sessions matching the filters")
    parser.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")
    add_curate_arguments(parser)
    add_filter_arguments(parser)


def main(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from ..history import iter_history, parse_duration, parse_time
    from ._common import open_store
    from ._curate import DELETION, carry_out, delete_if_present, require_capability
    from ._filters import filter_from

    if args.older_than is None and args.keep_last is None:
        print("error: say what to prune: --older-than DURATION and/or --keep-last N", file=sys.stderr)
        return 2
    if args.keep_last is not None and args.keep_last < 0:
        print(f"error: --keep-last must be 0 or more, not {args.keep_last}", file=sys.stderr)
        return 2
    now = datetime.now(timezone.utc)
    cutoff = None if args.older_than is None else now - parse_duration(args.older_than, "older-than")
    where = filter_from(args)
    with open_store(args) as store:
        if not args.dry_run:
            require_capability(store, "delete")
        doomed: list[tuple[str, str]] = []
        for rank, record in enumerate(iter_history(store, where, now=now)):
            if args.keep_last is not None and rank < args.keep_last:
                continue
            started = parse_time(record.get("started_at"))
            if cutoff is not None and (started is None or started >= cutoff):
                continue
            doomed.append((record["session_id"], f"{record.get('status')}  {record.get('started_at') or ''}"))
        return carry_out(store, doomed, DELETION, lambda session_id: delete_if_present(store, session_id),
                         dry_run=args.dry_run, assume_yes=args.yes)

