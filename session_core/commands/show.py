"""``show ID``: one session's whole record as JSON; a unique start of an id is enough."""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "print one session's whole record as JSON (a unique start of the id is enough)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session_id", help="the session id, or enough of its start to name one (see `list`)")


def load_by_prefix(store: Any, wanted: str) -> dict[str, Any]:
    """The record of the session whose id is ``wanted``, else of the one id starting with it.

    Raises:
        SessionNotFound: no id is or starts with ``wanted``.
        AmbiguousSessionId: several ids start with ``wanted`` (none is ``wanted`` itself).
        InvalidSessionId: ``wanted`` could never be part of an id.
    """
    from ..errors import AmbiguousSessionId, SessionNotFound

    try:
        return store.load(wanted)
    except SessionNotFound:
        pass
    candidates = [session_id for session_id in store.session_ids() if session_id.startswith(wanted)]
    if not candidates:
        raise SessionNotFound(wanted, store.location)
    if len(candidates) > 1:
        raise AmbiguousSessionId(wanted, candidates, store.location)
    return store.load(candidates[0])


def main(args: argparse.Namespace) -> int:
    from ..history import effective_status
    from ._common import open_store

    with open_store(args, create=False) as store:
        record = load_by_prefix(store, args.session_id)
    record["status"] = effective_status(record)  # a running record whose heartbeat stopped: lost
    print(json.dumps(record, indent=2, ensure_ascii=False))
    return 0
