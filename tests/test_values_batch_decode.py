"""The batch decoder (orjson when installed), the fast path of every whole-store read, gives
exactly what :func:`session_core.values.decode` gives: the same values with the same types and
key order, or the same error type.

``iter_records`` decodes with :func:`session_core.values.batch_decoder`; ``load`` with
:func:`session_core.values.decode`. orjson reads some texts differently (an int beyond 64 bits
becomes a float, NaN literals and lone surrogates are refused): each such text must still come
back as the stdlib path reads it, or be refused as it refuses it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hypothesis import given
from hypothesis import strategies as st

from session_core import values
from session_core.values import MAX_DEPTH, MAX_INT_DIGITS

from .test_record_limits import nested

EDGE_TEXTS = [
    '{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}', '{"a":1e400}', '{"a":-1e400}',
    '{"a":"\\ud800"}', '{"a":"\\udfff x"}', '{"a":"\\ud83d\\ude00"}', '{"a":"\ud800"}',
    '{"a":9223372036854775807}', '{"a":9223372036854775808}', '{"a":18446744073709551615}',
    '{"a":18446744073709551616}', '{"a":-9223372036854775808}', '{"a":-9223372036854775809}',
    '{"a":123456789012345678901234567890}', '{"a":[1,{"b":-123456789012345678901234567890}]}',
    '{"a":1e19}', '{"a":-1e300}', '{"a":9.3e18}', '{"a":1.7976931348623157e308}',
    '{"a":-0.0}', '{"a":-0}', '{"a":1.0,"b":1}', '{"a":5e-324}', '{"a":1e-400}', '{"a":0.1e1}',
    '{"a":1,"b":2,"a":3}', ' {"a":1} ', '\n{"a":1}\t', '{"a":1} x', '{"a":1}{}', '[1]', '"x"', '1',
    'null', '', '{', '{"a":"\x01"}', '{"a":"\\u0000"}', '{"\\u00e9":"ü"}', '{"a": 01}', '{"a":.5}',
    '{"a":tru}', '\ufeff{"a":1}', '{}', '{"a":[]}',
    json.dumps({"n": int("9" * MAX_INT_DIGITS)}), json.dumps({"n": int("9" * (MAX_INT_DIGITS + 1))}),
    json.dumps(nested(MAX_DEPTH)), json.dumps(nested(MAX_DEPTH + 1)), '{"a":' * 1100 + '1' + '}' * 1100,
]


def _batch_decoder() -> Any:
    pytest.importorskip("orjson", reason="orjson (the `fast` extra) is not installed: pip install 'session-core[fast]'")
    decoder = values.batch_decoder()
    assert decoder is not values.decode
    return decoder


def _outcome(decode: Any, text: str | bytes, max_bytes: int = values.DEFAULT_MAX_RECORD_BYTES) -> tuple[str, Any]:
    """What ``decode`` gives: the record's repr (types, -0.0 and key order show), or the error type."""
    try:
        return "record", repr(decode(text, max_bytes))
    except ValueError as exc:
        return "refused", type(exc)


@pytest.mark.parametrize("text", EDGE_TEXTS, ids=range(len(EDGE_TEXTS)))
def test_batch_decoding_of_edge_texts_matches_decode(text: str) -> None:
    assert _outcome(_batch_decoder(), text) == _outcome(values.decode, text)


@pytest.mark.parametrize("text", [b'{"a":1}', b'{"a":"\xff"}', b'{"a":"\xc3\xa9"}'])
def test_batch_decoding_of_bytes_matches_decode(text: bytes) -> None:
    assert _outcome(_batch_decoder(), text) == _outcome(values.decode, text)


def test_batch_decoding_keeps_the_size_limit() -> None:
    text = json.dumps({"s": "x" * 100})
    assert _outcome(_batch_decoder(), text, max_bytes=50) == _outcome(values.decode, text, max_bytes=50) == ("refused", ValueError)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(),
)
TREES = st.recursive(
    SCALARS, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=4)),
    max_leaves=16,
)


@given(st.dictionaries(st.text(max_size=5), TREES, max_size=5))
def test_batch_decoding_of_stored_records_matches_decode(record: dict[str, Any]) -> None:
    try:
        text = values.encode_portable(record)
    except ValueError:  # a lone surrogate in a generated str: never stored
        return
    assert _outcome(_batch_decoder(), text) == _outcome(values.decode, text)
