"""Helpers shared by the subcommands: open the configured store, report unreadable records."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import CorruptRecord, InvalidSessionId, SessionCoreError, StoreClosed, StoreError, StoreTimeout

if TYPE_CHECKING:  # the parser is built from the command modules: keep their imports light
    from ..registry import StoreSpec
    from ..store import SessionStore


def store_spec(args: argparse.Namespace) -> StoreSpec:
    """The store named by ``--store``/``--store-arg``, else by the configuration order, with its
    options checked (ConfigError) before the command does anything."""
    from ..config import parse_option_pairs, resolve_store

    options = parse_option_pairs(args.store_arg, "--store-arg") if args.store_arg else None
    spec = resolve_store(args.store, options)
    spec.store_class().check_options(spec.options)  # a wrong option fails every command alike
    return spec


def open_store(args: argparse.Namespace, *, create: bool = True) -> SessionStore:
    """Open the store of ``args``; readers pass ``create=False`` so that a missing store is
    reported (:class:`~session_core.errors.StoreNotFound`) and nothing is created."""
    return store_spec(args).open(create=create)


def add_strict_argument(parser: argparse.ArgumentParser) -> None:
    """``--strict``: the first unreadable record stops the command (exit code 3)."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first unreadable record (default: name it on stderr, go on, exit 3)",
    )


class BadRecords:
    """The unreadable records a command met: each named once on stderr with its id and reason.

    Pass an instance as ``on_error`` to :meth:`SessionStore.iter_records` (``errors="report"``)
    or call it for a failed :meth:`SessionStore.load`. With ``strict`` the first one is raised
    (as a :class:`CorruptRecord`), which the CLI turns into exit code 3 as well.
    """

    def __init__(self, location: str, strict: bool = False) -> None:
        self.location = location
        self.strict = strict
        self.count = 0

    def __call__(self, session_id: str, error: SessionCoreError) -> None:
        self.count += 1
        if self.strict:
            if isinstance(error, CorruptRecord):
                raise error
            raise CorruptRecord(self.location, session_id, error) from error
        print(f"unreadable: session {session_id!r}: {error}", file=sys.stderr, flush=True)

    def exit_code(self) -> int:
        """0 when every record was read, else 3 (:data:`session_core.cli.EXIT_UNREADABLE`)."""
        from ..cli import EXIT_OK, EXIT_UNREADABLE

        return EXIT_UNREADABLE if self.count else EXIT_OK


#: What a single read of a listed id may raise for that record alone: it cannot be decoded,
#: its id is refused, or the backend failed on that record (a row it cannot even fetch).
RECORD_ERRORS = (CorruptRecord, InvalidSessionId, StoreError)
#: ... except when the failure is the whole store's: then every further read would fail too.
STORE_ERRORS = (StoreClosed, StoreTimeout)
