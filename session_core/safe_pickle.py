"""Unpickling that never runs code found in the data: globals come from an allow-list or not at all.

Pickle runs code by loading a callable by name (``os.system``, ``builtins.exec``, a class) and
calling it. Every way to name a callable goes through ``find_class`` (the GLOBAL and
STACK_GLOBAL opcodes and the copyreg extension codes) or through ``persistent_load``. Here
``find_class`` answers only from the caller's allow-list and ``persistent_load`` always refuses,
so with an empty allow-list only plain data loads (str, bytes, numbers, bool, None, and lists,
tuples, dicts and sets of them). Kedro's ``ShelveStore`` was removed after a crafted shelf ran
attacker code through a plain ``pickle.load``; :class:`session_core.stores.shelve.ShelveStore` reads with no
allow-list at all, and legacy Kedro shelves (:mod:`session_core.migrate.legacy_pickle`) with a
short list of harmless types.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

NOTHING_ALLOWED: Mapping[tuple[str, str], Any] = MappingProxyType({})


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle named a global outside the allow-list; loading stopped before calling it.

    Attributes:
        refused: ``module.name`` as the pickle spelled it (or ``a persistent id``).
    """

    def __init__(self, refused: str) -> None:
        self.refused = refused
        super().__init__(f"refused to load {refused}: stored values may hold plain data only")


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, allowed: Mapping[tuple[str, str], Any]) -> None:
        super().__init__(io.BytesIO(data))
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise RefusedGlobal(f"{module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedGlobal("a persistent id")


def restricted_loads(data: bytes, allowed: Mapping[tuple[str, str], Any] = NOTHING_ALLOWED) -> Any:
    """Unpickle ``data``; a global is answered from ``allowed`` (``(module, name)`` -> object).

    Raises:
        RefusedGlobal: the pickle names anything outside ``allowed`` (nothing was called).
        pickle.UnpicklingError, EOFError, ValueError, TypeError: the bytes are not a valid pickle.
    """
    return _RestrictedUnpickler(data, allowed).load()
