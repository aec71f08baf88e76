"""``values.encode_portable``, the fast path of every save, agrees with the checked path.

The store encodes each record with :func:`session_core.values.encode_portable`; it must give
the very text of ``encode(to_portable(record))`` for every portable record, and refuse every
other record with the same :class:`InvalidValue` (same key path), whatever is nested where.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from session_core import values
from session_core.errors import InvalidValue

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec=None, exclude_categories=())),
)
ODD = st.one_of(st.binary(max_size=3), st.frozensets(st.integers(), max_size=2), st.just(math.nan))
KEYS = st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none(), st.floats())
TREES = st.recursive(
    st.one_of(SCALARS, ODD),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(KEYS, children, max_size=4),
    ),
    max_leaves=12,
)


def _outcome(encode: Any, record: dict[str, Any]) -> tuple[str, str]:
    try:
        return "text", encode(record)
    except InvalidValue as exc:
        return "invalid", exc.key_path


@given(st.dictionaries(st.text(max_size=5), TREES, max_size=4))
def test_fast_encoding_matches_checked_encoding(record: dict[str, Any]) -> None:
    fast = _outcome(values.encode_portable, record)
    checked = _outcome(lambda r: values.encode(values.to_portable(r)), record)
    assert fast == checked


def test_non_str_key_deep_inside_is_refused_with_its_path() -> None:
    record = {"cli": {"params": [{"ok": 1}, {2: "two"}]}}
    try:
        values.encode_portable(record)
    except InvalidValue as exc:
        assert exc.key_path == "$.cli.params[1][2]"
    else:
        raise AssertionError("a dict with an int key was encoded")
