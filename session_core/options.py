"""Store options, checked against the backend before anything opens.

A wrong option is a mistake in the configuration, not a store outage: it is refused up front,
the same way in every command (``run`` fails before the wrapped command starts, nothing is
spooled). The names a store takes are the keyword parameters of its ``_setup``; the kind of
value each takes is read from their annotations:

* a number (``float``/``int``): a finite number, not negative (timeouts, ages, sizes);
* a mapping (``dict``): a JSON object (``storage_options``);
* ``bool`` and ``str``: that type;

``None`` is accepted where the annotation allows it; parameters annotated ``Any`` (or not at
all) are not checked. Values under secret-looking names are never repeated in an error.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import NoneType, UnionType
from typing import Any

from .errors import ConfigError
from .location import suggest
from .redact import REDACTED, is_secret_name, redact_mapping

#: The ``setting`` of every option error (the option itself is named in the error's value).
SETTING = "store options"


def check_options(store_name: str, setup: Callable[..., Any], options: Mapping[str, Any]) -> None:
    """Refuse options that ``setup`` (a store's unbound ``_setup``) does not take, or values of
    the wrong kind, naming each once.

    Raises:
        ConfigError: ``value`` is the list of unknown names, or ``name=value`` for a bad value.
    """
    accepted, hints = _signature(setup)
    if accepted is None:  # **options: the store checks them itself
        return
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        close = suggest(unknown[0], accepted) if len(unknown) == 1 else None
        hint = f"did you mean {close}? " if close else ""
        takes = ", ".join(accepted) or "none"
        raise ConfigError(SETTING, unknown, f"not an option of {store_name}; {hint}its options: {takes}")
    for name, value in options.items():
        if name in hints and (problem := _problem(hints[name], value)):
            raise ConfigError(SETTING, f"{name}={_shown(name, value)}", f"{problem} for {store_name}")


@lru_cache(maxsize=64)
def _signature(setup: Callable[..., Any]) -> tuple[tuple[str, ...] | None, dict[str, Any]]:
    """The option names ``setup`` takes (``None`` when it takes any) and their annotations,
    read once per store class: every open checks its options."""
    import inspect  # imported when options are first checked, not at import

    parameters = list(inspect.signature(setup).parameters.values())[2:]  # self, path
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None, {}
    names = tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    try:
        hints = typing.get_type_hints(setup)
    except Exception:  # an annotation that cannot be evaluated: check names only
        hints = {}
    return names, hints


def _problem(annotation: Any, value: Any) -> str | None:
    """Why ``value`` does not fit ``annotation``, or ``None`` when it does."""
    kinds = set(typing.get_args(annotation)) if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union else {annotation}
    if value is None:
        return None if NoneType in kinds else "expected a value, not null"
    kinds.discard(NoneType)
    origins = {typing.get_origin(kind) or kind for kind in kinds}
    if origins & {float, int}:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "expected a number"
        if not math.isfinite(value) or value < 0:
            return "expected a finite number, 0 or more"
        return None
    if origins & {dict, Mapping}:
        return None if isinstance(value, dict) else 'expected a JSON object such as {"name": "value"}'
    if bool in origins:
        return None if isinstance(value, bool) else "expected true or false"
    if str in origins:
        return None if isinstance(value, str) else "expected a string"
    return None


def _shown(name: str, value: Any) -> str:
    if is_secret_name(name):
        return REDACTED
    return repr(redact_mapping(value))
