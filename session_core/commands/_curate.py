"""Confirmation and capability checks shared by ``delete``, ``prune`` and ``reap``."""

from __future__ import annotations

import sys
from typing import Any


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
