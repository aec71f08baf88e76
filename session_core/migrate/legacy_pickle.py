"""Loading the values of a legacy Kedro shelf without ever running code found in it.

Kedro's ``ShelveStore`` (0.17 to 0.19.8) pickled each key of the session data, so an honest
shelf holds a few harmless objects besides plain data: ``project_path`` is a ``pathlib`` path,
and user code could add dates or ordered dicts. Pickle runs code only by asking for a global
(a class or function, through ``find_class``) and calling it. Here ``find_class`` answers from a
short allow-list of harmless types (through :func:`session_core.safe_pickle.restricted_loads`)
and refuses every other name; the path classes are answered
with their *pure* counterparts, which cannot touch the filesystem (and load on any OS, so a shelf
written on Windows reads on Linux). Loading is bounded in memory (see
:mod:`session_core.safe_pickle`); the reader then maps those objects to portable values (a path
to its string, a date to ISO-8601) with :func:`session_core.values.to_portable` in its
``convert`` mode, which also bounds nesting and expansion.
"""

from __future__ import annotations

import collections
import datetime
import pathlib
from typing import Any

from ..safe_pickle import restricted_loads
from ..values import DEFAULT_MAX_RECORD_BYTES

#: (module, name) a pickle may ask for -> the harmless object handed back.
_ALLOWED: dict[tuple[str, str], Any] = {
    **{
        (module, name): cls
        for module in ("pathlib", "pathlib._local")  # 3.13 pickles paths from pathlib._local
        for name, cls in {
            "Path": pathlib.PurePath,
            "PosixPath": pathlib.PurePosixPath,
            "PurePath": pathlib.PurePath,
            "PurePosixPath": pathlib.PurePosixPath,
            "WindowsPath": pathlib.PureWindowsPath,
            "PureWindowsPath": pathlib.PureWindowsPath,
        }.items()
    },
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "date"): datetime.date,
    ("datetime", "time"): datetime.time,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
}


def loads_legacy(data: bytes, max_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> Any:
    """Unpickle one value of a legacy shelf (at most ``max_bytes`` of pickle).

    Raises:
        session_core.safe_pickle.RefusedPickle: too large or malformed (nothing was loaded).
        session_core.safe_pickle.RefusedGlobal: the pickle asks for anything outside the
            allow-list (nothing was run).
        pickle.UnpicklingError, EOFError, ValueError, TypeError: the bytes are not a valid pickle.
    """
    return restricted_loads(data, _ALLOWED, max_bytes)
