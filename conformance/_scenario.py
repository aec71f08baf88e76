"""Scenario ids and capability requirements: how a test says what it checks and what it needs.

A conformance test carries its stable id in its name (``test_SC_RT_001_fixed_corpus``): the id
is ``SC-RT-001``, shown in every pytest report line, selectable with ``-k SC_RT_001`` and
documented under the same number in ``docs/conformance.md``. A test that only makes sense for
stores with a capability says so with :func:`needs`; it is skipped, with the reason printed,
for a store whose instance declares that capability false.
"""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from session_core.store import Capabilities

#: The id inside a test name, e.g. ``SC_CONC_002`` in ``test_SC_CONC_002_one_winner``.
_ID_IN_NAME = re.compile(r"SC_([A-Z]+)_(\d{3})")
#: The written form of an id, as used in ``expected_failures`` and in the docs.
SCENARIO_ID = re.compile(r"^SC-([A-Z]+)-(\d{3})$")

#: Categories in report order.
CATEGORIES = (
    "ID", "RT", "STATE", "PERSIST", "FRESH", "ISO", "LIST", "BATCH", "CONC", "SHARED", "CRASH", "COMPACT", "VER", "BAD", "SEC"
)
CAPABILITY_NAMES = tuple(field.name for field in fields(Capabilities))
NEEDS_MARKER = "needs_capability"

#: What a scenario relies on when it needs a capability (printed in skip reasons).
CAPABILITY_MEANING = {
    "persistent": "records that outlive the instance",
    "durable": "records that outlive the process",
    "listing": "enumerating the stored sessions",
    "delete": "deleting one session",
    "multiprocess": "several processes writing one location at once",
    "crash_safe": "a save that survives the writer being killed",
    "shared": "several machines writing one location at once",
    "compaction": "compact() folding records beside writers",
}


def scenario_id(test_name: str) -> str | None:
    """``"test_SC_RT_001_fixed_corpus[x]"`` -> ``"SC-RT-001"``; ``None`` for other tests."""
    match = _ID_IN_NAME.search(test_name)
    return None if match is None else f"SC-{match[1]}-{match[2]}"


def category(scenario: str) -> str:
    """``"SC-RT-001"`` -> ``"RT"``."""
    return scenario.split("-")[1]


def needs(*capabilities: str) -> pytest.MarkDecorator:
    """Mark a scenario as meaningful only for stores declaring every one of ``capabilities``.

    Raises:
        ValueError: a name that is not a field of :class:`~session_core.store.Capabilities`.
    """
    unknown = sorted(set(capabilities) - set(CAPABILITY_NAMES))
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; known: {', '.join(CAPABILITY_NAMES)}")
    return getattr(pytest.mark, NEEDS_MARKER)(*capabilities)


def required_capabilities(item: pytest.Item) -> tuple[str, ...]:
    """The capabilities a collected test needs, in declaration order, without repeats."""
    names = [name for marker in item.iter_markers(NEEDS_MARKER) for name in marker.args]
    return tuple(dict.fromkeys(names))


def missing_capabilities(capabilities: Capabilities, required: tuple[str, ...]) -> list[str]:
    """Those of ``required`` that ``capabilities`` (an instance's declaration) lacks."""
    return [name for name in required if not getattr(capabilities, name)]


def declared_names(capabilities: Capabilities) -> list[str]:
    """The capabilities declared true, in field order."""
    return [name for name in CAPABILITY_NAMES if getattr(capabilities, name)]


def skip_reason(store_name: str, scenario: str, missing: list[str]) -> str:
    """The printed reason for skipping ``scenario`` on a store lacking ``missing``."""
    declared = ", ".join(f"{name}=False ({CAPABILITY_MEANING[name]})" for name in missing)
    return f"{scenario}: {store_name} declares {declared}"
