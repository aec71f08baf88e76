"""The history filter options shared by ``list``, ``stats``, ``export`` and ``prune``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..history import HistoryFilter

STATUS_CHOICES = ("running", "completed", "failed", "interrupted", "lost")


def add_filter_arguments(parser: argparse.ArgumentParser, *, status: bool = True) -> None:
    """``--status --branch --since --until --param --host --command`` (see docs/query.md)."""
    group = parser.add_argument_group("filters (all must hold)")
    if status:
        group.add_argument("--status", choices=STATUS_CHOICES,
                           help="this status (lost: running, but its heartbeat stopped)")
    group.add_argument("--branch", help="recorded on this git branch")
    group.add_argument("--since", metavar="WHEN", help="started at or after WHEN: an ISO date/time or 7d, 12h, 30m ago")
    group.add_argument("--until", metavar="WHEN", help="started before WHEN (same forms as --since)")
    group.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                       help="a parameter of the run had this value (repeatable)")
    group.add_argument("--host", help="recorded on this host")
    group.add_argument("--command", dest="command_text", metavar="TEXT", help="the command line contains TEXT")


def filter_from(args: argparse.Namespace) -> HistoryFilter:
    """The :class:`HistoryFilter` of the parsed options (InvalidFilter names a bad one)."""
    from ..history import HistoryFilter

    return HistoryFilter.parse(
        status=getattr(args, "status", None), branch=args.branch, since=args.since, until=args.until,
        params=args.param, host=args.host, command=args.command_text,
    )
