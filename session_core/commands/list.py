"""``list``: recorded sessions, newest first, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from ..kinds import Status, choices

HELP = "list recorded sessions, newest first"
COLUMNS = ("id", "status", "started", "duration", "branch", "sha", "command")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", choices=choices(Status))
    parser.add_argument("--branch", help="only sessions recorded on this git branch")
    parser.add_argument("--limit", type=int, default=20, help="at most this many rows (0: all; default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON record per line")


def newest_first(store: Any, status: str | None, branch: str | None, limit: int) -> Iterator[dict]:
    """Records matching the filters, newest first; only ids are held, records are read lazily.

    Without filters only the newest ``limit`` ids are held, so memory does not grow with the
    store; with a filter or no limit every id is held (about 100 bytes per session).
    """
    if limit and not status and not branch:
        ids: Sequence[str] = deque(store.session_ids(), maxlen=limit)
    else:
        ids = list(store.session_ids())
    shown = 0
    for session_id in reversed(ids):
        record = store.load(session_id)
        if status and record.get("status") != status:
            continue
        if branch and (record.get("git") or {}).get("branch") != branch:
            continue
        yield record
        shown += 1
        if limit and shown >= limit:
            return


def row(record: dict[str, Any]) -> tuple[str, ...]:
    git = record.get("git") or {}
    cli = record.get("cli") or {}
    duration = record.get("duration_s")
    started = record.get("started_at") or ""
    return (
        str(record.get("session_id", "")),
        str(record.get("status", "")),
        started[:19].replace("T", " "),
        "" if duration is None else f"{duration:.2f}s",
        str(git.get("branch") or ""),
        str(git.get("commit_sha") or "")[:8] + ("*" if git.get("dirty") else ""),
        str(cli.get("command_path") or "")[:60],
    )


def main(args: argparse.Namespace) -> int:
    from ._common import open_store

    with open_store(args) as store:
        records = newest_first(store, args.status, args.branch, args.limit)
        if args.json:
            for record in records:
                print(json.dumps(record, ensure_ascii=False))
            return 0
        rows = [row(record) for record in records]
        if not rows:
            print(f"no sessions in {store.location}", file=sys.stderr)
            return 0
        widths = [max(len(r[i]) for r in (COLUMNS, *rows)) for i in range(len(COLUMNS))]
        for r in (COLUMNS, *rows):
            print("  ".join(cell.ljust(width) for cell, width in zip(r, widths)).rstrip())
    return 0
