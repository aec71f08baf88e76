"""Confirmation, capability checks and the dry-run/confirm/apply/report sequence shared by
``delete``, ``prune`` and ``reap``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Exit code when the user answered no at the confirmation prompt.
EXIT_ABORTED = 1


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask on a terminal (stdin and stderr both ttys) unless ``assume_yes``; elsewhere, go on.

    Scripts and pipes cannot answer, so they are not asked: ``--yes`` is implied there, and
    ``--dry-run`` shows what would happen first.
    """
    if assume_yes or not (sys.stdin.isatty() and sys.stderr.isatty()):
        return True
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def require_capability(store: Any, capability: str) -> None:
    """Raise NotSupported before anything is read or asked when the store cannot do it."""
    from ..errors import NotSupported

    if not getattr(store.capabilities, capability):
        raise NotSupported(type(store).__name__, capability)


def add_curate_arguments(parser: Any) -> None:
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation on a terminal")


@dataclass(frozen=True)
class Change:
    """How a curating command names what it does, for its prompts and reports."""

    verb: str  # "delete"
    done: str  # "deleted"
    things: str  # "session(s)"


DELETION = Change("delete", "deleted", "session(s)")


def delete_if_present(store: Any, session_id: str) -> bool:
    """Delete one session; False when someone else deleted it meanwhile."""
    from ..errors import SessionNotFound

    try:
        store.delete(session_id)
    except SessionNotFound:
        return False
    return True


def carry_out(
    store: Any,
    targets: Sequence[tuple[str, str]],
    change: Change,
    act: Callable[[str], bool],
    *,
    dry_run: bool,
    assume_yes: bool,
) -> int:
    """Show (``dry_run``) or, once confirmed, apply ``act`` to each ``(session_id, detail)``.

    Each id acted on is printed on stdout (``deleted ID  detail``) so a script can use the
    list; the summary goes to stderr. ``act`` returns False for an id that needed nothing
    (someone else deleted it meanwhile): it is neither printed nor counted. Returns the exit
    code: 0, or :data:`EXIT_ABORTED` when the user said no.
    """
    if not targets:
        print(f"no {change.things} to {change.verb} in {store.location}", file=sys.stderr)
        return 0
    if dry_run:
        for session_id, detail in targets:
            print(f"would {change.verb} {session_id}  {detail}".rstrip())
        print(f"dry run: {len(targets)} {change.things} would be {change.done} in {store.location}",
              file=sys.stderr)
        return 0
    if not confirm(f"{change.verb} {len(targets)} {change.things} in {store.location}?", assume_yes):
        print(f"nothing {change.done}", file=sys.stderr)
        return EXIT_ABORTED
    count = 0
    for session_id, detail in targets:
        if act(session_id):
            count += 1
            print(f"{change.done} {session_id}  {detail}".rstrip())
    print(f"{change.done} {count} {change.things} in {store.location}", file=sys.stderr)
    return 0
