"""``reap``: finalise lost runs in the store (status ``lost``, ended at their last heartbeat).

Readers already show such runs as ``lost`` without changing them; ``reap`` makes it permanent,
so the record no longer depends on the reader's threshold.
"""

from __future__ import annotations

import argparse
import sys

from ._curate import add_curate_arguments

HELP = "finalise lost runs (running, heartbeat stopped) as status lost in the store"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lost-after", type=float, metavar="SECONDS",
                        help="heartbeat silence that makes a run lost (default: 3 of its intervals)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be finalised, change nothing")
    add_curate_arguments(parser)


def main(args: argparse.Namespace) -> int:
    from ..history import HistoryFilter, iter_history
    from ..lost import finalise_lost
    from ._common import open_store
    from ._curate import confirm

    with open_store(args) as store:
        lost = [record["session_id"] for record in
                iter_history(store, HistoryFilter(status="lost"), lost_after=args.lost_after)]
        if not lost:
            print(f"no lost runs in {store.location}", file=sys.stderr)
            return 0
        if args.dry_run:
            for session_id in lost:
                print(f"would finalise {session_id}")
            print(f"dry run: {len(lost)} lost run(s) in {store.location}", file=sys.stderr)
            return 0
        if not confirm(f"finalise {len(lost)} lost run(s) in {store.location}?", args.yes):
            print("nothing changed", file=sys.stderr)
            return 1
        done = [session_id for session_id in lost if finalise_lost(store, session_id, args.lost_after)]
        for session_id in done:
            print(f"finalised {session_id}")
        print(f"finalised {len(done)} lost run(s) in {store.location}", file=sys.stderr)
    return 0
