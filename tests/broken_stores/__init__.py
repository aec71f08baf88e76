"""Deliberately broken stores: the conformance suite must catch each one, by its named scenarios.

Each is one plausible bug (the kind a backend author ships by accident) in a copy of one of our
real backends: a subclass that overrides one primitive, so that nothing but the bug differs.
Each says which numbered promise of ``docs/conformance.md`` it breaks and which scenarios are
expected to catch it (:func:`breaks`). ``tests/test_conformance_selftest.py`` runs exactly those
scenarios, plus a sanity set, and checks that the expected ones, and only those, fail.
"""

from __future__ import annotations

from ._registry import BROKEN_STORES, BrokenStore, breaks, class_path

__all__ = ["BROKEN_STORES", "BrokenStore", "breaks", "class_path", "all_broken_stores"]


def all_broken_stores() -> dict[str, BrokenStore]:
    """Every broken store, by class name (importing the modules that define them)."""
    from . import json_bugs, other_bugs, sqlite_bugs  # noqa: F401  (they register on import)

    return dict(BROKEN_STORES)
