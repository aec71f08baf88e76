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

Loading is also bounded in memory: a pickle can make the loader allocate far more than its own
size before it reads anything (``BINBYTES8``/``BYTEARRAY8`` declare a length that is allocated
up front, ``LONG_BINPUT`` an index the memo grows to). :func:`restricted_loads` refuses data
over ``max_bytes`` and walks the opcodes first with :mod:`pickletools` (which reads, never
allocates ahead, and runs nothing), refusing any declared length or memo index beyond the data.
What a loaded value expands to (shared references, "billion laughs") and how deep it nests is
bounded afterwards by :func:`session_core.values.to_portable`.
"""

from __future__ import annotations

import io
import pickle
import pickletools
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


class RefusedPickle(pickle.UnpicklingError):
    """The pickle is too large or malformed, or asks for more memory than it holds; nothing was
    loaded. Attribute: ``reason``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"refused to load a pickle: {reason}")


def check_bounds(data: bytes, max_bytes: int) -> None:
    """Refuse ``data`` unless it is at most ``max_bytes`` long and every opcode's declared size
    and memo index fits within it (checked by walking the opcodes, nothing is built).

    Raises:
        RefusedPickle: too large, malformed, or an allocation beyond the data.
    """
    if len(data) > max_bytes:
        raise RefusedPickle(f"{len(data)} bytes, over the {max_bytes}-byte limit")
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT") and not 0 <= int(arg) <= len(data):
                raise RefusedPickle(f"memo index {arg} beyond a {len(data)}-byte pickle")
    except RefusedPickle:
        raise
    except Exception as exc:  # pickletools' ValueError for truncated/unknown opcodes, and the like
        raise RefusedPickle(f"malformed ({exc})") from None


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


def restricted_loads(
    data: bytes,
    allowed: Mapping[tuple[str, str], Any] = NOTHING_ALLOWED,
    max_bytes: int = 64 * 1024 * 1024,
) -> Any:
    """Unpickle ``data``; a global is answered from ``allowed`` (``(module, name)`` -> object).

    Raises:
        RefusedPickle: over ``max_bytes``, malformed, or allocating beyond its size (see
            :func:`check_bounds`); nothing was loaded.
        RefusedGlobal: the pickle names anything outside ``allowed`` (nothing was called).
        pickle.UnpicklingError, EOFError, ValueError, TypeError: the bytes are not a valid pickle.
    """
    check_bounds(data, max_bytes)
    return _RestrictedUnpickler(data, allowed).load()
