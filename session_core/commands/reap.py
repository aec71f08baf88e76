"""``reap``: finalise lost runs in the store (status ``lost``, ended at their last heartbeat).

Readers already show such runs as ``lost`` without changing them; ``reap`` makes it permanent,
so the record no longer depends on the reader's threshold.
"""

from __future__ import annotations

import argparse

from ._curate import Change, add_curate_arguments

FINALISING = Change("finalise", "finalised", "lost run(s)")
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
    from ._curate import carry_out

    with open_store(args) as store:
        lost = [record["session_id"] for record in
                iter_history(store, HistoryFilter(status="lost"), lost_after=args.lost_after)]
        return carry_out(store, [(session_id, "") for session_id in lost], FINALISING,
                         lambda session_id: finalise_lost(store, session_id, args.lost_after),
                         dry_run=args.dry_run, assume_yes=args.yes)
