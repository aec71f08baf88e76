"""``flush``: send records waiting in the spool to their store."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

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
    print(f"sending records waiting in {folder} to {spool.describe_target(wanted)}"
          f"{' (--all: whatever store they were meant for)' if args.all else ''}", file=sys.stderr)
    sent = failed = 0
    others: Counter[str] = Counter()
    store = None
    try:
        for entry in spool.entries(folder):
            if not args.all and entry.target != wanted:
                others[spool.describe_target(entry.target)] += 1
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
    print(f"sent {sent}, failed {failed}, waiting for other stores {sum(others.values())} (spool: {folder})")
    for target, count in sorted(others.items()):
        print(f"  {count} waiting for {target}")
    if others:
        print("records for other stores stay; name their store with --store, or use --all", file=sys.stderr)
    return 1 if failed else 0
