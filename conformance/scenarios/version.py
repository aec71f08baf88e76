"""VER: a store written in another format version is refused at open, by every backend.

The scenario writes the other version with the store's own code: a subclass whose
``FORMAT_VERSION`` is one more (or one less) than the store's creates the store, then the store
class itself opens it.
"""

from __future__ import annotations

import pytest

from session_core.errors import FormatVersionError
from session_core.registry import StoreSpec

from .._base import ScenarioBase
from .._scenario import needs


def written_by_version(spec: StoreSpec, format_version: int) -> None:
    """Create the store at ``spec`` with code that writes ``format_version``, holding one record."""
    store_class = spec.store_class()
    other = type(f"{store_class.__name__}AtVersion{format_version}", (store_class,), {"FORMAT_VERSION": format_version})
    store = other(spec.path, None, **spec.options)
    try:
        store.write("ver-probe", {"written by format version": format_version})
    finally:
        store.close()


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
