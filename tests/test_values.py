"""The portable data model: what save() accepts, what it refuses, and where."""

from __future__ import annotations

import datetime
import math

import pytest

from session_core.errors import InvalidValue
from session_core.values import content_hash, decode, encode, to_portable


def test_tuples_become_lists_and_types_survive_a_round_trip():
    record = {"t": (1, 2.0), "big": 2**80, "neg0": -0.0, "s": "é☃𝄞", "n": None, "b": False, "e": {}, "l": []}
    back = decode(encode(to_portable(record)))
    assert back == {**record, "t": [1, 2.0]}
    assert type(back["t"][0]) is int and type(back["t"][1]) is float
    assert math.copysign(1.0, back["neg0"]) == -1.0
    assert type(back["b"]) is bool


@pytest.mark.parametrize(
    ("record", "key_path"),
    [
        ({"a": {"b": {1, 2}}}, "$.a.b"),
        ({"a": [1, float("nan")]}, "$.a[1]"),
        ({"inf": float("inf")}, "$.inf"),
        ({"raw": b"bytes"}, "$.raw"),
        ({"when": datetime.datetime(2026, 1, 1)}, "$.when"),
        ({"obj": object()}, "$.obj"),
        ({"d": {1: "x"}}, "$.d[1]"),
        ({"s": "lone \ud800 surrogate"}, "$.s"),
    ],
)
def test_values_outside_the_model_are_refused_with_their_key_path(record, key_path):
    with pytest.raises(InvalidValue) as info:
        to_portable(record)
    assert info.value.key_path == key_path
    assert isinstance(info.value, (TypeError, ValueError))


def test_content_hash_ignores_key_order_but_not_types():
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 1.0})
