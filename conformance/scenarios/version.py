"""VER: a store written in another format version is refused at open, by every backend.

The scenario writes the other version with the store's own code: a subclass whose
``FORMAT_VERSION`` is one more (or one less) than the store's creates the store, then the store
class itself opens it. A store may check the version together with its first operation instead
(a server store saves a round trip that way): that operation must then be refused before it
writes or returns anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from session_core.errors import FormatVersionError
from session_core.registry import StoreSpec
from session_core.store import SessionStore

from .._base import ScenarioBase
from .._scenario import needs


def opened_by_version(spec: StoreSpec, format_version: int) -> SessionStore:
    """The store at ``spec`` opened by code that writes ``format_version`` (created if missing)."""
    store_class = spec.store_class()
    other = type(f"{store_class.__name__}AtVersion{format_version}", (store_class,), {"FORMAT_VERSION": format_version})
    return other(spec.path, None, **spec.options)


def written_by_version(spec: StoreSpec, format_version: int) -> None:
    """Create the store at ``spec`` with code that writes ``format_version``, holding one record."""
    with opened_by_version(spec, format_version) as store:
        store.write("ver-probe", {"written by format version": format_version})


def first_operation_refused(spec: StoreSpec, operation: Callable[[SessionStore], object]) -> bool:
    """Whether opening ``spec`` and running ``operation`` raised :class:`FormatVersionError`."""
    store = None
    try:
        store = spec.open()
        operation(store)
    except FormatVersionError:
        return True
    finally:
        if store is not None:
            with contextlib.suppress(FormatVersionError):
                store.close()
    return False


class VersionScenarios(ScenarioBase):
    @needs("persistent")
    def test_SC_VER_001_newer_format_refused_at_open(self, store_spec: StoreSpec) -> None:
        current = store_spec.store_class().FORMAT_VERSION
        written_by_version(store_spec, current + 1)
        with pytest.raises(FormatVersionError) as caught:
            store_spec.open().close()
        assert (caught.value.found, caught.value.supported) == (current + 1, current)
        assert caught.value.location, "FormatVersionError without the store's location"
        with pytest.raises(FormatVersionError):
            store_spec.open("ver-probe").close()

    @needs("persistent")
    def test_SC_VER_002_older_format_refused_with_the_upgrade_hint(self, store_spec: StoreSpec) -> None:
        current = store_spec.store_class().FORMAT_VERSION
        written_by_version(store_spec, current - 1)
        with pytest.raises(FormatVersionError) as caught:
            store_spec.open().close()
        # found < supported is what makes the error carry the `migrate --upgrade` hint
        assert (caught.value.found, caught.value.supported) == (current - 1, current)
        assert caught.value.location, "FormatVersionError without the store's location"

    @needs("persistent")
    def test_SC_VER_003_the_first_operation_writes_and_returns_nothing(self, store_spec: StoreSpec) -> None:
        current = store_spec.store_class().FORMAT_VERSION
        written_by_version(store_spec, current + 1)
        problems = []
        if not first_operation_refused(store_spec, lambda store: store.write("ver-written", {"by": current})):
            problems.append("a write right after open was not refused")
        if not first_operation_refused(store_spec, lambda store: store.load("ver-probe")):
            problems.append("a read right after open was not refused")
        with opened_by_version(store_spec, current + 1) as other:
            if other.has_session("ver-written"):
                problems.append(f"a write reached the store of format version {current + 1}")
            if other.load("ver-probe") != {"written by format version": current + 1}:
                problems.append("the record of the other format version changed")
        assert not problems, "\n".join(problems)
