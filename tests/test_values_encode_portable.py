"""``values.encode_portable`` and the batch encoder, the fast paths of every save, agree with
the checked path.

The store encodes each record with :func:`session_core.values.encode_portable`; it must give
the very text of ``encode(to_portable(record))`` for every portable record, and refuse every
other record with the same :class:`InvalidValue` (same key path), whatever is nested where.
``write_many`` encodes with :func:`session_core.values.batch_encoder` (orjson when installed):
its text may differ (``1e16`` for ``1e+16``) but must decode to the same values, and it must
refuse exactly what the checked path refuses, with the same key path.
"""

from __future__ import annotations

import enum
import math
import uuid
from typing import Any

import pytest

from hypothesis import given
from hypothesis import strategies as st

from session_core import values
from session_core.errors import InvalidValue
from session_core.stores.sqlite import SQLiteStore

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec=None, exclude_categories=())),
)
class Colour(enum.Enum):
    RED = "red"


ODD = st.one_of(
    st.binary(max_size=3), st.frozensets(st.integers(), max_size=2), st.just(math.nan),
    st.just(Colour.RED), st.uuids(),
)
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


def _orjson_encoder() -> Any:
    pytest.importorskip("orjson", reason="orjson (the `fast` extra) is not installed: pip install 'session-core[fast]'")
    encoder = values.batch_encoder()
    assert encoder is not values.encode_portable
    return encoder


def _same_values(encode: Any, record: dict[str, Any]) -> tuple[str, str]:
    """The outcome, texts compared by their decoded values (re-encoded by the stdlib)."""
    kind, text = _outcome(encode, record)
    return (kind, values.encode(values.decode(text)) if kind == "text" else text)


@given(st.dictionaries(st.text(max_size=5), TREES, max_size=4))
def test_orjson_batch_encoding_matches_checked_encoding(record: dict[str, Any]) -> None:
    encoder = _orjson_encoder()
    fast = _same_values(encoder, record)
    checked = _same_values(lambda r: values.encode(values.to_portable(r)), record)
    assert fast == checked


@pytest.mark.parametrize(
    ("record", "key_path"),
    [
        ({"metrics": [1.0, {"loss": math.nan}]}, "$.metrics[1].loss"),  # orjson writes null
        ({"metrics": {"best": -math.inf}}, "$.metrics.best"),
        ({"params": {"colour": Colour.RED}}, "$.params.colour"),  # orjson writes "red"
        ({"run": {"id": uuid.UUID(int=7)}}, "$.run.id"),  # orjson writes the UUID's text
        ({"params": {3: "three"}}, "$.params[3]"),
        ({"text": "lone \ud800"}, "$.text"),
        ({"big": [10**30]}, None),  # beyond orjson's 64 bits: stored exactly by the stdlib path
    ],
)
def test_batch_writes_refuse_what_orjson_would_let_through(
    tmp_path: Any, record: dict[str, Any], key_path: str | None
) -> None:
    _orjson_encoder()
    good = {"status": "completed", "duration_s": 1.5}
    with SQLiteStore(tmp_path / "s.db") as store:
        batch = [("20250101T000000.000000Z-aaaaaaaa", good), ("20250101T000000.000000Z-bbbbbbbb", record)]
        if key_path is None:
            assert store.write_many(batch) == 2
            assert store.load("20250101T000000.000000Z-bbbbbbbb") == record
            return
        with pytest.raises(InvalidValue) as caught:
            store.write_many(batch)
        assert caught.value.key_path == key_path
        assert list(store.session_ids()) == []  # nothing of the refused batch was written


def _nested(levels: int) -> dict[str, Any]:
    """A record nesting ``levels`` levels deep (the record itself is level 1)."""
    record: dict[str, Any] = {}
    inner = record
    for _ in range(levels - 1):
        inner["a"] = {}
        inner = inner["a"]
    return record


def test_batch_encoder_keeps_the_depth_limit() -> None:
    encoder = _orjson_encoder()
    assert values.decode(encoder(_nested(values.MAX_DEPTH))) == _nested(values.MAX_DEPTH)
    with pytest.raises(InvalidValue) as caught:
        encoder(_nested(values.MAX_DEPTH + 1))
    assert caught.value.key_path.startswith("$.a.a")
    wide = {f"k{i}": {"v": [i]} for i in range(values.MAX_DEPTH)}  # many containers, 3 levels
    assert values.decode(encoder(wide)) == wide
