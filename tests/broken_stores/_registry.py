"""Where broken stores declare the promise they break and the scenarios that catch them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from session_core.conformance.promises import PROMISES
from session_core.store import SessionStore

StoreType = TypeVar("StoreType", bound=type[SessionStore])


@dataclass(frozen=True)
class BrokenStore:
    """A broken store class and what the suite must make of it.

    Attributes:
        class_path: ``package.module:Class``, as the suite is given it.
        promise: the number of the promise (``docs/conformance.md``) the bug breaks.
        caught_by: the scenario ids that must fail on it.
        bug: what is wrong, in one line (the class docstring's first line).
    """

    class_path: str
    promise: int
    caught_by: frozenset[str]
    bug: str


BROKEN_STORES: dict[str, BrokenStore] = {}


def class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def breaks(promise: int, *caught_by: str) -> Callable[[StoreType], StoreType]:
    """Register the decorated store as breaking ``promise``, caught by ``caught_by``.

    Raises:
        ValueError: an unknown promise number, or no scenario named.
    """
    if promise not in {known.number for known in PROMISES} or not caught_by:
        raise ValueError(f"breaks({promise}, {caught_by}): name a known promise and at least one scenario")

    def register(cls: StoreType) -> StoreType:
        bug = (cls.__doc__ or "").strip().splitlines()[0]
        BROKEN_STORES[cls.__name__] = BrokenStore(class_path(cls), promise, frozenset(caught_by), bug)
        return cls

    return register
