"""argparse value types shared by the subcommands (standard library only: parsing stays fast)."""

from __future__ import annotations

import argparse


def non_negative_int(text: str) -> int:
    """An integer >= 0; anything else is a usage error naming the value (exit code 2).

    Raises:
        argparse.ArgumentTypeError: ``text`` is not an integer, or is negative.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value
