"""``delete ID...``: remove sessions from the store (asks on a terminal unless ``--yes``)."""

from __future__ import annotations

import argparse
import sys

from ._curate import add_curate_arguments

HELP = "delete sessions by id (asks for confirmation on a terminal unless --yes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session_ids", nargs="+", metavar="ID", help="the ids to delete (see `list`)")
    add_curate_arguments(parser)


def main(args: argparse.Namespace) -> int:
    from ..ids import validate_session_id
    from ._common import open_store
    from ._curate import DELETION, carry_out, delete_if_present, require_capability

    ids = list(dict.fromkeys(validate_session_id(session_id) for session_id in args.session_ids))
    with open_store(args) as store:
        require_capability(store, "delete")
        missing = [session_id for session_id in ids if not store.has_session(session_id)]
        if missing:
            for session_id in missing:
                print(f"error: no session {session_id!r} in {store.location}", file=sys.stderr)
            print("nothing deleted", file=sys.stderr)
            return 1
        return carry_out(store, [(session_id, "") for session_id in ids], DELETION,
                         lambda session_id: delete_if_present(store, session_id),
                         dry_run=False, assume_yes=args.yes)
