"""``show ID``: one session's whole record as JSON."""

from __future__ import annotations

import argparse
import json

HELP = "print one session's whole record as JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session_id", help="the session id (see `list`)")


def main(args: argparse.Namespace) -> int:
    from ._common import open_store

    with open_store(args) as store:
        record = store.load(args.session_id)
    print(json.dumps(record, indent=2, ensure_ascii=False))
    return 0
