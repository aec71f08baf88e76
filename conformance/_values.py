"""The suite's own oracle for values: expected forms, a type-strict comparison, test data.

The suite does not trust the code under test to tell it what a value should come back as:
:func:`expected_form` is written here, independently of ``session_core.values``, and
:func:`assert_same` compares with types (``1`` is not ``1.0``, ``True`` is not ``1``, ``-0.0``
is not ``0.0``), naming the first place where the two differ.
"""

from __future__ import annotations

import datetime
import decimal
import math
import pathlib
from typing import Any

from hypothesis import strategies as st

from session_core.values import MAX_DEPTH

MIB = 1 << 20


def expected_form(value: Any) -> Any:
    """What a portable value reads back as: tuples become lists, everything else is kept."""
    if isinstance(value, (list, tuple)):
        return [expected_form(item) for item in value]
    if isinstance(value, dict):
        return {key: expected_form(item) for key, item in value.items()}
    return value


def difference(actual: Any, expected: Any, where: str = "$") -> str | None:
    """The first place where ``actual`` and ``expected`` differ in value or type, else ``None``."""
    if type(actual) is not type(expected):
        return f"{where}: got {type(actual).__name__} {_short(actual)}, expected {type(expected).__name__} {_short(expected)}"
    if isinstance(expected, float):
        same = actual == expected and math.copysign(1.0, actual) == math.copysign(1.0, expected)
        return None if same else f"{where}: got {actual!r}, expected {expected!r}"
    if isinstance(expected, list):
        if len(actual) != len(expected):
            return f"{where}: got a list of {len(actual)} items, expected {len(expected)}"
        for index, (got, want) in enumerate(zip(actual, expected)):
            if found := difference(got, want, f"{where}[{index}]"):
                return found
        return None
    if isinstance(expected, dict):
        if actual.keys() != expected.keys():
            missing = sorted(expected.keys() - actual.keys())
            extra = sorted(actual.keys() - expected.keys())
            return f"{where}: keys missing {missing}, unexpected keys {extra}"
        for key, want in expected.items():
            if found := difference(actual[key], want, f"{where}.{key}"):
                return found
        return None
    return None if actual == expected else f"{where}: got {_short(actual)}, expected {_short(expected)}"


def assert_same(actual: Any, expected: Any, context: str = "") -> None:
    """Assert equal values with equal types throughout.

    Raises:
        AssertionError: naming the first differing key path (and ``context``).
    """
    found = difference(actual, expected)
    if found is not None:
        raise AssertionError(f"{context}: {found}" if context else found)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value, level] if level % 2 else {"level": level, "inner": value}
    return value


#: A fixed corpus of portable records: each must come back equal, with the same types.
CORPUS: dict[str, dict[str, Any]] = {
    "empty record": {},
    "scalars": {
        "none": None,
        "true": True,
        "false": False,
        "zero": 0,
        "int": 42,
        "negative": -7,
        "one point zero": 1.0,
        "negative zero": -0.0,
        "pi": math.pi,
        "smallest subnormal": 5e-324,
        "largest float": 1.7976931348623157e308,
        "text": "plain",
    },
    "ints beyond 64 bits": {
        "2**64": 2**64,
        "-(2**64)-1": -(2**64) - 1,
        "int64 min": -(2**63),
        "int64 max": 2**63 - 1,
        "10**40": 10**40,
        "in a list": [2**70, -(2**70)],
    },
    "unicode": {
        "cjk": "日本語のテキスト",
        "emoji": "🙂👩‍👩‍👧",
        "rtl": "עברית",
        "combining": "e\u0301",
        "nul inside": "a\x00b",
        "controls": "\t\n\r\x1f\x7f",
        "quotes": "'\"\\`",
        "ключ": "значение",
        "": "the empty key",
        "sql-looking": "'; DROP TABLE sessions; --",
    },
    "empty containers": {"list": [], "dict": {}, "nested": [[], {}, [[]], {"k": {}}], "string": ""},
    "tuples": {"pair": (1, "a"), "nested": ((1, 2), (3, (4,))), "empty": ()},
    "nesting": {"deep": _nested(60), "mixed": [1, "a", None, True, 2.5, [], {}, {"k": [None]}]},
    "kedro run record": {
        "session_id": "2021-08-10T12.12.42.311Z",
        "project_path": "/home/user/project",
        "package_name": "spaceflights",
        "username": "ana",
        "cli": {
            "args": ["--pipeline", "ds", "--params", "lr=0.1"],
            "params": {"lr": 0.1, "epochs": 10, "tags": ["a", "b"]},
            "command_name": "run",
            "command_path": "kedro run",
        },
        "git": {"commit_sha": "0123456789abcdef0123456789abcdef01234567", "branch": "main", "dirty": False},
        "env": "local",
        "runtime_params": {},
        "status": "completed",
        "started_at": "2021-08-10T12:12:42.311000+00:00",
        "ended_at": "2021-08-10T12:13:02.000000+00:00",
        "duration_s": 19.689,
    },
}


def large_record() -> dict[str, Any]:
    """A record with 1 MiB strings (ASCII and multi-byte), a long list and nesting as deep as
    the record limit allows (:data:`session_core.values.MAX_DEPTH`)."""
    pattern = "abc€😀ñ"
    return {
        "ascii MiB": "x" * MIB,
        "unicode MiB": (pattern * (MIB // len(pattern) + 1))[:MIB],
        "ints": list(range(-5000, 5000)),
        "floats": [i / 7 for i in range(2000)],
        "deep": _nested(MAX_DEPTH - 1),  # the record itself is a level: this is at the limit
    }


#: The size of the record that must round-trip whole or be refused at save, never truncated.
HUGE_MIB = 24


def huge_record() -> dict[str, Any]:
    """A record of :data:`HUGE_MIB` MiB: one long string, and many small ones after it."""
    return {
        "head": "first key",
        "blob": "0123456789abcdef" * ((HUGE_MIB - 1) * MIB // 16),
        "lines": [f"line {number:07d}" for number in range(MIB // 16)],
        "tail": "last key",
    }


#: Records that must come back exactly as given, key order included.
AS_GIVEN: dict[str, dict[str, Any]] = {
    "key order": {"zeta": 1, "alpha": 2, "Mid": 3, "10": 4, "9": 5, "": 6, "nested": {"b": 1, "a": 2}},
    "strings that look like JSON": {
        "object": '{"a": 1}',
        "list": "[1, 2]",
        "number": "42",
        "float": "1.0",
        "true": "true",
        "null": "null",
        "quoted": '"quoted"',
    },
    "another session's id": {"session_id": "2021-08-10T12.12.42.311Z", "package_name": "spaceflights"},
    "reserved-looking keys": {"_id": "x", "__format_version__": 99, "record": None, "id": "other"},
}


class _Unportable:
    """An arbitrary object: outside the portable model."""


#: Records holding one value outside the portable model, and the keys on the path to it.
UNPORTABLE: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("set", {"tags": {"a", "b"}}, ("tags",)),
    ("frozenset", {"tags": frozenset()}, ("tags",)),
    ("bytes", {"blob": b"\x00"}, ("blob",)),
    ("bytearray", {"blob": bytearray(b"x")}, ("blob",)),
    ("datetime", {"started_at": datetime.datetime(2024, 1, 1)}, ("started_at",)),
    ("date", {"day": datetime.date(2024, 1, 1)}, ("day",)),
    ("decimal", {"price": decimal.Decimal("1.5")}, ("price",)),
    ("complex", {"z": 1j}, ("z",)),
    ("path", {"project_path": pathlib.PurePosixPath("/srv")}, ("project_path",)),
    ("object", {"obj": _Unportable()}, ("obj",)),
    ("nan", {"params": {"lr": float("nan")}}, ("params", "lr")),
    ("infinity", {"params": {"lr": float("inf")}}, ("params", "lr")),
    ("minus infinity", {"metrics": [1.0, float("-inf")]}, ("metrics", "1")),
    ("int key", {"params": {1: "one"}}, ("params", "1")),
    ("none key", {"params": {None: "none"}}, ("params", "None")),
    ("tuple key", {"params": {(1, 2): "pair"}}, ("params",)),
    ("lone surrogate", {"text": "\ud800"}, ("text",)),
    ("deep in a list", {"cli": {"args": ["ok", {"bad": {1, 2}}]}}, ("cli", "args", "1", "bad")),
]


def portable_scalars() -> st.SearchStrategy[Any]:
    """None, bools, ints of any size, finite floats (with -0.0) and unicode text."""
    return (
        st.none()
        | st.booleans()
        | st.integers()
        | st.integers(min_value=-(2**200), max_value=2**200)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text()
    )


def portable_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any portable value: scalars, nesting, empty containers and tuples."""
    return st.recursive(
        portable_scalars(),
        lambda children: (
            st.lists(children, max_size=4)
            | st.lists(children, max_size=3).map(tuple)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def portable_records() -> st.SearchStrategy[dict[str, Any]]:
    """A record: a dict with str keys and portable values."""
    return st.dictionaries(st.text(max_size=12), portable_values(), max_size=6)
