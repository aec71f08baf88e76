"""``python -m session_core``: the command line.

Each subcommand lives in its own module under :mod:`session_core.commands` exposing
``HELP`` (one line), ``add_arguments(parser)`` and ``main(args) -> int``. Those modules import
only the standard library at top level, so building the parser (and ``--help``) stays fast;
backends, GitPython and fsspec are imported inside ``main`` when a command needs them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from .errors import SessionCoreError

#: subcommand -> module implementing it
COMMANDS = {
    "run": "session_core.commands.run",
    "list": "session_core.commands.list",
    "show": "session_core.commands.show",
    "flush": "session_core.commands.flush",
    "migrate": "session_core.commands.migrate",
}


class TerminalWidthFormatter(argparse.HelpFormatter):
    """argparse's formatter without its ``import shutil`` (3 ms, with bz2 and lzma) at every
    ``add_argument``: the terminal width comes from ``os.get_terminal_size`` directly."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            try:
                width = int(os.environ["COLUMNS"])
            except (KeyError, ValueError):
                try:
                    width = os.get_terminal_size().columns
                except OSError:
                    width = 80
            width -= 2
        super().__init__(prog, indent_increment, max_help_position, width)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=TerminalWidthFormatter,
        prog="python -m session_core",
        description="Record pipeline runs and browse their history in any session store.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(
            name, help=module.HELP, description=module.HELP, formatter_class=TerminalWidthFormatter
        )
        add_store_arguments(command)
        module.add_arguments(command)
        command.set_defaults(handler=module.main)
    return parser


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """``--store`` and ``--store-arg``, shared by every subcommand."""
    parser.add_argument(
        "--store",
        help="short name, URL or package.module:Class (default: $SESSION_CORE_STORE, "
        "[tool.session_core] in pyproject.toml, then SQLite in the project)",
    )
    parser.add_argument(
        "--store-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option for the store (repeatable; VALUE is parsed as JSON when it can be)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="session_core: %(levelname)s: %(message)s")
    try:
        return args.handler(args)
    except SessionCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
