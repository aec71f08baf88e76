"""session-core: record the run data of every pipeline run, in any store.

Names are imported lazily (PEP 562) so that ``import session_core`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Session": "session_core.session",
    "SessionStore": "session_core.store",
    "Capabilities": "session_core.store",
    "StoreSpec": "session_core.registry",
    "resolve_store": "session_core.config",
    "new_session_id": "session_core.ids",
    "validate_session_id": "session_core.ids",
    "errors": "session_core.errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from . import errors
    from .config import resolve_store
    from .ids import new_session_id, validate_session_id
    from .registry import StoreSpec
    from .session import Session
    from .store import Capabilities, SessionStore


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'session_core' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    return module if name == "errors" else getattr(module, name)
