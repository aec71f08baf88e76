"""Unpickling that can never run code: every global is refused.

Pickle runs code by loading a callable by name (``os.system``, ``builtins.exec``, a class) and
calling it. Every way to name a callable goes through ``find_class`` (the GLOBAL and
STACK_GLOBAL opcodes and the copyreg extension codes) or through ``persistent_load``; refusing
both leaves only plain data: str, bytes, numbers, bool, None, and lists, tuples, dicts and sets
of them. Kedro's ``ShelveStore`` was removed after a crafted shelf ran attacker code through a
plain ``pickle.load``; :class:`stores.shelve.ShelveStore` reads every shelf value through
:func:`loads_plain`. (Legacy Kedro shelves, which hold ``pathlib`` paths, are read by
:mod:`session_core.migrate.legacy_pickle` with a short allow-list of harmless types instead.)
"""

from __future__ import annotations

import io
import pickle
from typing import Any


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle named a global (a function or class); loading stopped before calling it.

    Attributes:
        refused: ``module.name`` as the pickle spelled it (or ``a persistent id``).
    """

    def __init__(self, refused: str) -> None:
        self.refused = refused
        super().__init__(f"refused to load {refused}: stored values may be plain data only")


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise RefusedGlobal(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedGlobal("a persistent id")


def loads_plain(data: bytes) -> Any:
    """Unpickle ``data`` that may hold plain values only.

    Raises:
        RefusedGlobal: the pickle names a function or class (nothing was called).
        pickle.UnpicklingError, EOFError, ValueError, TypeError: the bytes are not a valid pickle.
    """
    return _PlainUnpickler(io.BytesIO(data)).load()
