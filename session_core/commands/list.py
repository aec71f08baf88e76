"""``list``: recorded sessions, newest first, as a table, JSON, JSON lines or CSV.

Filters (``--status``, ``--branch``, ``--since``/``--until``, ``--param``, ``--host``,
``--command``) are :class:`session_core.history.HistoryFilter`, the one filter every reader
shares (``stats``, ``export``, the run browser).

The table shows the newest ``TABLE_LIMIT`` matches unless ``--limit`` says otherwise and says on
stderr how many were left out; ``--json`` prints every match unless ``--limit`` is given.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..kinds import Status, choices
from ._common import add_strict_argument
from ._types import non_negative_int

if TYPE_CHECKING:
    from ..history import HistoryFilter, SortOrder

HELP = "list recorded sessions, newest first"
COLUMNS = ("id", "status", "started", "duration", "branch", "sha", "command")
#: rows in the table when no --limit is given (JSON has no default limit)
TABLE_LIMIT = 20
#: characters of the command column before it is cut with an ellipsis
COMMAND_WIDTH = 60
#: output formats; ``--json`` is ``jsonl``
FORMATS = ("table", "json", "jsonl", "csv")

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", choices=choices(Status),
                        help="only sessions with this status (lost: running, but the heartbeat stopped)")
    parser.add_argument("--branch", help="only sessions recorded on this git branch")
    parser.add_argument("--since", metavar="WHEN",
                        help="only sessions started at or after WHEN: an ISO date/time (UTC unless it "
                        "has an offset) or a duration back from now (7d, 12h, 30m)")
    parser.add_argument("--until", metavar="WHEN", help="only sessions started before WHEN (same forms as --since)")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="only sessions run with this parameter (repeat for several; all must hold)")
    parser.add_argument("--host", help="only sessions recorded on this machine")
    parser.add_argument("--command", metavar="TEXT", help="only sessions whose command line contains TEXT")
    parser.add_argument(
        "--limit", type=non_negative_int, default=None, metavar="N",
        help=f"at most N sessions, newest first; 0 for all (default: {TABLE_LIMIT} in the table, "
        "all with --json)",
    )
    parser.add_argument("--sort", metavar="FIELD",
                        help="order by FIELD, '-' first for descending (--sort=-duration_s: longest first); "
                        "the fields are query's columns (started_at, duration_s, exit_code, branch...); "
                        "default: newest first")
    parser.add_argument("--json", action="store_true", help="one JSON record per line (same as --format jsonl)")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="table (default), json (one array), jsonl (a record per line) or csv (the "
                        "table's columns); every format but the table prints every match unless --limit")
    parser.add_argument("--local", action="store_true", help="show times in the local time zone (default: UTC)")
    add_strict_argument(parser)


def record_filter(args: argparse.Namespace) -> HistoryFilter:
    """Every filter given on the command line, as one :class:`~session_core.history.HistoryFilter`.

    Raises:
        InvalidFilter: a time, duration or ``--param`` that cannot be read, naming the option.
    """
    from ..history import HistoryFilter

    return HistoryFilter.parse(
        status=args.status, branch=args.branch, since=args.since, until=args.until,
        params=args.param, host=args.host, command=args.command,
    )


def describe_filters(args: argparse.Namespace) -> str:
    """The filters as the user typed them, for messages (``--status failed --branch main``)."""
    given = [("--status", args.status), ("--branch", args.branch), ("--since", args.since),
             ("--until", args.until), *(("--param", pair) for pair in args.param), ("--host", args.host),
             ("--command", args.command)]
    return " ".join(f"{option} {value}" for option, value in given if value)


def count_matching(store: Any, where: HistoryFilter) -> int:
    """How many readable sessions in ``store`` match ``where``: one count query where the
    backend has one when there is no filter, else every record is read (the unreadable ones
    were reported by the listing already, and are not counted)."""
    if where.is_empty:
        return store.count()
    from ..history import iter_history

    return sum(1 for _ in iter_history(store, where, newest_first=False, on_error=lambda *_: None))


def readable_command(cli: dict[str, Any]) -> str:
    """The command as a person reads it: program name without its folder, no shell quoting,
    cut with an ellipsis past ``COMMAND_WIDTH`` characters."""
    text = str(cli.get("command_path") or "")
    try:
        words = shlex.split(text)
    except ValueError:  # not written by shlex.join (a hand-made or legacy record)
        words = text.split()
    if words:
        words[0] = words[0].rstrip("/").rpartition("/")[2] or words[0]
    command = " ".join(words)
    return command if len(command) <= COMMAND_WIDTH else command[: COMMAND_WIDTH - 1] + "…"


def started_in(started_at: str, local: bool) -> str:
    """``started_at`` (ISO-8601) as ``YYYY-MM-DD HH:MM:SS`` in UTC, or the local zone."""
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return started_at[:19].replace("T", " ")
    if moment.tzinfo is None:  # legacy records without an offset were written in UTC
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone() if local else moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def zone_label(local: bool) -> str:
    """The time zone the ``started`` column is shown in (``UTC``, ``CET``, ``UTC+05:30``)."""
    if not local:
        return "UTC"
    now = datetime.now().astimezone()
    name = now.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = now.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def row(record: dict[str, Any], local: bool = False) -> tuple[str, ...]:
    git = record.get("git") or {}
    duration = record.get("duration_s")
    started = record.get("started_at")
    return (
        str(record.get("session_id", "")),
        str(record.get("status", "")),
        started_in(started, local) if isinstance(started, str) else "",
        "" if duration is None else f"{duration:.2f}s",
        str(git.get("branch") or ""),
        str(git.get("commit_sha") or "")[:8] + ("*" if git.get("dirty") else ""),
        readable_command(record.get("cli") or {}),
    )


def print_table(rows: list[tuple[str, ...]], local: bool) -> None:
    header = tuple(f"started ({zone_label(local)})" if name == "started" else name for name in COLUMNS)
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for r in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(r, widths)).rstrip())


def sort_order(args: argparse.Namespace) -> SortOrder | None:
    """``--sort`` as a :class:`~session_core.history.SortOrder`; ``None`` for newest first.

    Raises:
        InvalidFilter: an unknown field, naming the known ones.
    """
    if not args.sort:
        return None
    from ..history import SortOrder

    return SortOrder.parse(args.sort)


def matching(
    store: Any, where: HistoryFilter, order: SortOrder | None, limit: int | None,
    on_bad: Callable[[str, Any], None],
) -> Iterator[dict[str, Any]]:
    """The records to show, at most ``limit`` (``None`` or 0: all): newest first, streamed in one
    query (SQL stores read only the rows shown), or in ``order`` (every match is read). Each
    record's status is its effective one (``lost``: running, heartbeat stopped)."""
    from ..history import iter_history, sort_records

    records = iter_history(store, where, newest_first=True, on_error=on_bad)
    if order is None:
        return islice(records, limit or None)
    return iter(sort_records(records, order, limit or None))


def write_records(output: str, records: Iterator[dict[str, Any]], local: bool) -> None:
    """Stream ``records`` to stdout as ``json`` (one array), ``jsonl`` or ``csv`` (table columns)."""
    if output == "jsonl":
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    elif output == "json":
        print("[", end="")
        for index, record in enumerate(records):
            print(("," if index else "") + json.dumps(record, ensure_ascii=False), end="")
        print("]")
    else:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(COLUMNS)
        writer.writerows(row(record, local) for record in records)


def main(args: argparse.Namespace) -> int:
    from ._common import BadRecords, open_store

    where = record_filter(args)
    order = sort_order(args)
    output = "jsonl" if args.json else (args.format or "table")
    with open_store(args, create=False) as store:
        bad = BadRecords(store.location, args.strict)
        if output != "table":
            write_records(output, matching(store, where, order, args.limit, bad), args.local)
            return bad.exit_code()
        limit = TABLE_LIMIT if args.limit is None else args.limit
        rows = [row(record, args.local) for record in matching(store, where, order, limit, bad)]
        if not rows:
            stored = 0 if where.is_empty else store.count()
            if stored:
                print(f"none of the {stored} sessions in {store.location} match {describe_filters(args)}",
                      file=sys.stderr)
            else:
                print(f"no sessions in {store.location}", file=sys.stderr)
            return bad.exit_code()
        print_table(rows, args.local)
        if limit and len(rows) == limit:
            matched = count_matching(store, where)
            if matched > len(rows):
                print(f"{len(rows)} of {matched} sessions shown (use --limit N, or --limit 0 for all)",
                      file=sys.stderr)
    return bad.exit_code()
