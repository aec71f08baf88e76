"""``flush``: send records waiting in the spool to their store."""

from __future__ import annotations

import argparse
import sys

HELP = "send records waiting in the local spool on to their store"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spool", help="spool folder (default: $SESSION_CORE_SPOOL or the user cache)")
    parser.add_argument(
        "--all",
        action="store_true",
        help="send every waiting record to the resolved store, whatever store it was meant for",
    )


def main(args: argparse.Namespace) -> int:
    from .. import spool
    from ..errors import SessionCoreError
    from ._common import store_spec

    folder = spool.spool_dir(args.spool)
    spec = store_spec(args)
    wanted = spool.target_of(spec.class_path, spec.path)
    sent = failed = other = 0
    store = None
    try:
        for entry in spool.entries(folder):
            if not args.all and entry.target != wanted:
                other += 1
                continue
            try:
                store = store or spec.open()
                store.write(entry.session_id, entry.record)
            except SessionCoreError as exc:
                failed += 1
                print(f"error: {entry.session_id}: {exc}", file=sys.stderr)
                continue
            spool.discard(folder, entry.session_id)
            sent += 1
    finally:
        if store is not None:
            store.close()
    print(f"sent {sent}, failed {failed}, waiting for other stores {other} (spool: {folder})")
    if other:
        print("records for other stores stay; name their store with --store, or use --all", file=sys.stderr)
    return 1 if failed else 0
