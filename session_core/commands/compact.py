"""``compact [STORE]``: fold a JSON store's finished sessions into segment objects."""

from __future__ import annotations

import argparse

HELP = "fold a JSON store's finished sessions into segments, so reading them all takes few requests"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "location",
        nargs="?",
        metavar="STORE",
        help="the store to compact (a folder or s3:// URL); the same as --store",
    )


def main(args: argparse.Namespace) -> int:
    """Print what the compaction did.

    Raises:
        ConfigError: STORE and --store name different stores.
        NotSupported: the store cannot be compacted (not a JSON store on a local folder or S3).
    """
    from ..errors import ConfigError
    from ._common import open_store

    if args.location is not None:
        if args.store is not None and args.store != args.location:
            raise ConfigError("store", [args.store, args.location], "give the store once: STORE or --store")
        args.store = args.location
    with open_store(args, create=False) as store:  # compacting a store that is not there creates none
        done = store.compact()  # NotSupported from stores that declare no compaction
    print(
        f"folded {done.folded} sessions ({done.deleted} of them deletions) into {done.segments} new segments; "
        f"{done.skipped} skipped (running or unreadable), {done.kept} kept in their objects (saved again meanwhile)"
    )
    return 0
