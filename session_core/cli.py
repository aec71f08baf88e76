"""``python -m session_core`` (or the ``session-core`` script): the command line.

Each subcommand lives in its own module under :mod:`session_core.commands` exposing
``HELP`` (one line), ``add_arguments(parser)`` and ``main(args) -> int``. Those modules import
only the standard library at top level, so building the parser (and ``--help``) stays fast;
backends, GitPython and fsspec are imported inside ``main`` when a command needs them.

The global options (``-v``, ``--store``, ``--store-arg``) are accepted before the subcommand and
after it. stdout carries only a command's output; logging goes to stderr, redacted.

Exit codes every reading command keeps (``list``, ``show``, ``migrate``, ...):

* 0: done, every record was read.
* 1: an error: the store cannot be opened or read at all, a bad setting, a failed write.
* 2: bad usage (argparse's own code).
* 3 (:data:`EXIT_UNREADABLE`): some records were unreadable (or, for ``migrate``, could not be
  carried over); each was named on stderr with its id and the reason, and every other record
  was handled. With ``--strict`` the first such record stops the command, with this code too.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from .errors import CorruptRecord, SessionCoreError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNREADABLE = 0, 1, 2, 3

#: subcommand -> module implementing it
COMMANDS = {
    "run": "session_core.commands.run",
    "list": "session_core.commands.list",
    "show": "session_core.commands.show",
    "flush": "session_core.commands.flush",
    "migrate": "session_core.commands.migrate",
    "query": "session_core.commands.query",
    "stats": "session_core.commands.stats",
    "export": "session_core.commands.export",
    "delete": "session_core.commands.delete",
    "prune": "session_core.commands.prune",
    "reap": "session_core.commands.reap",
    "ui": "session_core.commands.ui",
    "compact": "session_core.commands.compact",
}

CONFIGURATION_ORDER = """\
which store (the first that is set wins):
  1. --store / --store-arg
  2. $SESSION_CORE_STORE, with options as a JSON object in $SESSION_CORE_STORE_ARGS
  3. store / store_args under [tool.session_core] in the project's pyproject.toml
  4. in a Kedro project, SESSION_STORE_CLASS / SESSION_STORE_ARGS in its settings.py
  5. SQLite at <project>/.session_core/sessions.db
The project is the nearest folder, from the current one up, with a pyproject.toml.
A store is a short name (sqlite), a URL (sqlite:///runs.db, s3://bucket/prefix) or a class
path (package.module:Class)."""

#: option dest -> dest it has when given before the subcommand (merged in :func:`parse_args`)
_BEFORE_SUBCOMMAND = {"verbose": "verbose_before", "store": "store_before", "store_arg": "store_arg_before"}


class TerminalWidthFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter without its ``import shutil`` (3 ms, with bz2 and lzma) at every
    ``add_argument``: the terminal width comes from ``os.get_terminal_size`` directly. The
    epilog keeps its line breaks (the configuration order is a numbered list)."""

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


class VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from . import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


def program_name(argv0: str | None = None) -> str:
    """How the user called us: ``session-core`` (the console script) or ``python -m session_core``."""
    name = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    return "python -m session_core" if name in ("__main__.py", "", "-c") else name


#: global options before the subcommand that take a value (any unambiguous prefix works too)
_VALUE_OPTIONS = ("--store", "--store-arg")


def named_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names, when it can be told without building every subparser.

    ``None`` when no known command comes first among the positional words, or when ``-h``/
    ``--help`` precedes it (the whole help is wanted then): the caller builds every subcommand.
    """
    words = iter(argv)
    for word in words:
        if word == "--" or word in ("-h", "--help") or (word.startswith("--he") and "--help".startswith(word)):
            return None
        if word.startswith("-"):
            name = word.partition("=")[0]
            if "=" not in word and len(name) > 2 and any(option.startswith(name) for option in _VALUE_OPTIONS):
                next(words, None)  # the option's value
            continue
        return word if word in COMMANDS else None
    return None


def build_parser(prog: str | None = None, only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of ``only`` that one (the others' modules are then
    not imported: ``run`` does not pay for ``list``'s or ``ui``'s options)."""
    parser = argparse.ArgumentParser(
        formatter_class=TerminalWidthFormatter,
        prog=prog or program_name(),
        description="Record pipeline runs and browse their history in any session store.",
        epilog=CONFIGURATION_ORDER,
    )
    parser.add_argument("--version", action=VersionAction)
    add_global_arguments(parser, before_subcommand=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        command = sub.add_parser(
            name, help=module.HELP, description=module.HELP, epilog=CONFIGURATION_ORDER,
            formatter_class=TerminalWidthFormatter,
        )
        add_global_arguments(command, before_subcommand=False)
        module.add_arguments(command)
        command.set_defaults(handler=module.main)
    return parser


def add_global_arguments(parser: argparse.ArgumentParser, *, before_subcommand: bool) -> None:
    """``-v``, ``--store`` and ``--store-arg``: accepted before the subcommand and after it.

    Before the subcommand they land under their own names (argparse lets a subcommand's values
    replace the main parser's), and :func:`parse_args` merges both places.
    """
    def dest(name: str) -> dict[str, Any]:
        if before_subcommand:
            return {"dest": _BEFORE_SUBCOMMAND[name]}
        return {"dest": name, "default": argparse.SUPPRESS}

    parser.add_argument("-v", "--verbose", action="count", help="log more on stderr (-vv: debug)",
                        **({"default": 0} | dest("verbose")))
    parser.add_argument(
        "--store",
        metavar="STORE",
        help="short name, URL or package.module:Class (default: see 'which store' below)",
        **dest("store"),
    )
    parser.add_argument(
        "--store-arg",
        action="append",
        metavar="KEY=VALUE",
        help="an option for the store (repeatable; VALUE is parsed as JSON when it can be)",
        **({"default": []} | dest("store_arg")),
    )


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    """Parse a command line, with the global options merged from before and after the subcommand.

    Raises:
        SystemExit: bad usage (exit code 2), ``--help`` or ``--version`` (0).
    """
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(prog, only=named_command(words)).parse_args(words)
    verbose_before = getattr(args, "verbose_before", 0)
    store_before = getattr(args, "store_before", None)
    store_arg_before = getattr(args, "store_arg_before", [])
    for name in _BEFORE_SUBCOMMAND.values():
        delattr(args, name)
    args.verbose = verbose_before + (getattr(args, "verbose", None) or 0)
    args.store = getattr(args, "store", None) or store_before
    args.store_arg = store_arg_before + (getattr(args, "store_arg", None) or [])
    return args


def configure_logging(verbose: int) -> None:
    """Send every log record to stderr, whatever configured logging before us: stdout is the
    command's output alone (a table, JSON) and must stay parseable."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="session_core: %(levelname)s: %(message)s",
                        stream=sys.stderr, force=True)
    logging.captureWarnings(True)
    from .redact import RedactingFilter

    for handler in logging.getLogger().handlers:  # third parties' lines too (botocore, s3fs)
        handler.addFilter(RedactingFilter())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.verbose)
    try:
        return args.handler(args)
    except CorruptRecord as exc:  # a record that cannot be read (show ID, or --strict)
        print(f"error: unreadable record: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except SessionCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
