"""The portable data model (JSON's), its limits, the one converter to it and the one encoding.

Backends never see Python objects: the core checks a record with :func:`to_portable` (or the
faster :func:`encode_portable`) and hands the backend the text of :func:`encode`. Decoding with
:func:`decode` gives back the same types, because JSON text keeps int and float apart (``1`` vs
``1.0``), keeps big ints and keeps ``-0.0``.

One converter, three named leniency modes (:class:`Leniency`), so every path into a record
converts values the same way:

* ``strict``: the portable model only (``save()``, ``Session.update()``); anything else raises
  :class:`~session_core.errors.InvalidValue` naming the key path. Tuples become lists.
* ``convert``: also maps well-known harmless types (paths, dates and times, timedeltas, sets,
  enums) to portable values and refuses the rest (legacy Kedro shelves in ``migrate``).
* ``lenient``: ``convert`` plus a string for everything else, so it never raises (Kedro's own
  session data: a Kedro run must never fail because of how Kedro shaped a value).

Limits: one rule on what a record may be, enforced when it is saved and when it is read:

* :data:`MAX_DEPTH` levels of nesting (the record itself is level 1): far below what any
  reader's decoder takes (Python's ``json`` stops near 1,000, browsers and databases later).
* ints of at most :data:`MAX_INT_DIGITS` decimal digits (Python refuses to turn an int of more
  than 4,300 digits into text by default, so it could never be encoded).
* a record's encoded size is capped per backend by ``SessionStore.MAX_RECORD_BYTES`` (default
  :data:`DEFAULT_MAX_RECORD_BYTES`); a record over it is refused at save, never truncated.

A stored record beyond the limits decodes to a ``ValueError`` (the store turns it into a
``CorruptRecord`` for that record), never a ``RecursionError`` or a crash.
"""

from __future__ import annotations

import datetime
import enum
import functools
import json
import math
import os
import re
import sys
from collections.abc import Callable
from typing import Any

from .errors import InvalidValue
from .kinds import Leniency

#: The deepest nesting a record may have; the record itself is level 1.
MAX_DEPTH = 100
#: The most decimal digits an int in a record may have.
MAX_INT_DIGITS = 4000
#: The encoded size (UTF-8 bytes) a record may have unless its backend says otherwise.
DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024

_INT_BOUND = 10**MAX_INT_DIGITS
_LONG_DIGITS = re.compile(r"\d{%d}" % (MAX_INT_DIGITS + 1))
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_CANONICAL = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=True
)



#: What ``lenient`` mode keeps in place of a container nested deeper than :data:`MAX_DEPTH`.
TOO_DEEP = f"<nested deeper than {MAX_DEPTH} levels>"


def to_portable(
    value: Any,
    key_path: str = "$",
    mode: Leniency | str = Leniency.STRICT,
    max_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Any:
    """Return a copy of ``value`` in the portable model, within the record limits.

    Args:
        value: the value to convert.
        key_path: where ``value`` sits, for error messages (``$.params.lr``).
        mode: a :class:`Leniency` (or its name).
        max_bytes: a bound on the converted value's size (about its JSON length), which stops a
            value whose shared references would expand it far beyond its own size (a pickle
            "billion laughs") before it exhausts memory; applies in every mode.

    Raises:
        InvalidValue: (``strict`` and ``convert`` only) a value outside the model: sets,
            bytes, datetimes, objects, NaN, infinities, non-str dict keys, lone surrogates in
            ``strict``; an int over :data:`MAX_INT_DIGITS` digits or nesting deeper than
            :data:`MAX_DEPTH`; more than ``max_bytes`` in all (also in ``lenient``).
            ``key_path`` names where, e.g. ``$.params.lr``.
    """
    return _Converter(Leniency(mode), max_bytes).convert(value, key_path, 1)


class _Converter:
    """One conversion: the mode and the remaining size budget."""

    def __init__(self, mode: Leniency, max_bytes: int) -> None:
        self.mode = mode
        self.budget = max_bytes

    def _spend(self, size: int, key_path: str, value: Any) -> None:
        self.budget -= size
        if self.budget < 0:
            raise InvalidValue(key_path, value, "the value grows beyond the record size limit")

    def _refuse(self, key_path: str, value: Any, reason: str) -> Any:
        if self.mode is Leniency.LENIENT:
            return self._as_text(value, key_path)
        raise InvalidValue(key_path, value, reason)

    def _as_text(self, value: Any, key_path: str) -> str:
        try:
            text = str(value)
        except Exception:  # a str() that raises (an int too long to print, a broken __str__)
            text = f"<{type(value).__name__}>"
        return self._text(text, key_path)

    def _text(self, text: str, key_path: str) -> str:
        self._spend(len(text) + 2, key_path, text)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            if self.mode is not Leniency.LENIENT:
                raise InvalidValue(key_path, text, f"string holds a lone surrogate ({exc.reason})") from None
            return text.encode("utf-8", "replace").decode("utf-8")
        return text

    def convert(self, value: Any, key_path: str, depth: int) -> Any:
        if value is None or isinstance(value, bool):
            self._spend(5, key_path, value)
            return value
        if isinstance(value, str):
            return self._text(str(value), key_path)
        if isinstance(value, int):
            return self._int(int(value), key_path)
        if isinstance(value, float):
            self._spend(24, key_path, value)
            if not math.isfinite(value):
                return self._refuse(key_path, value, f"{value!r} is not a finite number")
            return float(value)
        sets = (set, frozenset) if self.mode is not Leniency.STRICT else ()
        if isinstance(value, (dict, list, tuple, *sets)):
            if depth > MAX_DEPTH:
                if self.mode is Leniency.LENIENT:
                    return self._text(TOO_DEEP, key_path)
                raise InvalidValue(key_path, value, f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                return self._dict(value, key_path, depth)
            if isinstance(value, (set, frozenset)):
                return self._set(value, key_path, depth)
            return self._list(value, key_path, depth)
        if self.mode is Leniency.STRICT:
            raise InvalidValue(key_path, value, f"type {type(value).__name__} is outside the portable model")
        return self._known(value, key_path, depth)

    def _int(self, value: int, key_path: str) -> Any:
        if -_INT_BOUND < value < _INT_BOUND:
            self._spend(value.bit_length() // 3 + 2, key_path, value)
            return value
        return self._refuse(key_path, value, f"an int of more than {MAX_INT_DIGITS} digits")

    def _dict(self, value: dict, key_path: str, depth: int) -> dict[str, Any]:
        self._spend(2, key_path, value)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                if self.mode is not Leniency.LENIENT:
                    raise InvalidValue(
                        f"{key_path}[{key!r}]", value, f"dict key {key!r} is a {type(key).__name__}, not a str"
                    )
                key = self._as_text(key.value if isinstance(key, enum.Enum) else key, key_path)
            key = self._text(key, f"{key_path}[{key!r}]")
            out[key] = self.convert(item, f"{key_path}.{key}", depth + 1)
        return out

    def _list(self, value: list | tuple, key_path: str, depth: int) -> list[Any]:
        self._spend(2, key_path, value)
        return [self.convert(item, f"{key_path}[{i}]", depth + 1) for i, item in enumerate(value)]

    def _set(self, value: set | frozenset, key_path: str, depth: int) -> list[Any]:
        """A sorted list (by ``repr`` when the items do not compare), so equal sets store alike."""
        items = self._list(list(value), key_path, depth)
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)

    def _known(self, value: Any, key_path: str, depth: int) -> Any:
        """``convert`` and ``lenient``: well-known harmless types, then the mode's fallback."""
        if isinstance(value, os.PathLike):
            path = os.fspath(value)
            return self._text(path if isinstance(path, str) else os.fsdecode(path), key_path)
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            return self._text(value.isoformat(), key_path)
        if isinstance(value, datetime.timedelta):
            return self.convert(value.total_seconds(), key_path, depth)
        if isinstance(value, enum.Enum):
            return self.convert(value.value, key_path, depth)
        if isinstance(value, (bytes, bytearray)) and self.mode is Leniency.LENIENT:
            return self._text(bytes(value).decode("utf-8", errors="replace"), key_path)
        return self._refuse(key_path, value, f"type {type(value).__name__} is outside the portable model")


def encode(record: dict[str, Any]) -> str:
    """Encode an already portable record as compact JSON text."""
    return _ENCODER.encode(record)


def encode_portable(record: dict[str, Any], key_path: str = "$") -> str:
    """``encode(to_portable(record))``, about five times faster for a record that is portable.

    The C JSON encoder already refuses unknown types and non-finite floats in one pass; what it
    would let through (non-str dict keys, which it turns into strings, lone surrogates, nesting
    deeper than :data:`MAX_DEPTH` and ints longer than :data:`MAX_INT_DIGITS`) is checked after
    it, cheaply: the text says when a deep or long value may be there. Anything refused is handed
    to :func:`to_portable`, which names the key path.

    Raises:
        InvalidValue: as :func:`to_portable`; nothing is returned then.
    """
    try:
        text = _ENCODER.encode(record)
        text.encode("utf-8")  # a lone surrogate cannot be stored by any backend
        _check_keys(record, deep=_may_be_deep(text))
        if _may_hold_long_int(text):
            raise ValueError("an int may be too long")
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return encode(to_portable(record, key_path, max_bytes=sys.maxsize))
    return text


def batch_encoder() -> Callable[[dict[str, Any]], str]:
    """The fastest installed encoder with the contract of :func:`encode_portable`, for batches.

    With orjson installed (the ``fast`` extra) this is :func:`_encode_with_orjson`, about three
    times faster per record; otherwise :func:`encode_portable` itself. Only batch writes use it:
    importing orjson costs a few ms, which a single save at a run's start should not pay.
    """
    try:
        import orjson
    except ImportError:
        return encode_portable
    options = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
    return functools.partial(_encode_with_orjson, orjson.dumps, options)


def _encode_with_orjson(
    dumps: Callable[..., bytes], options: int, record: dict[str, Any], key_path: str = "$"
) -> str:
    """``encode_portable`` through orjson, whose text is any valid JSON of the same values.

    orjson itself refuses non-str dict keys, lone surrogates, ints beyond 64 bits, subclasses of
    str, int, dict and list, datetimes and dataclasses (with ``options``), and nesting beyond
    254 levels. It accepts more than the portable model in two ways, so its text is used only
    after :func:`_check_plain` proves the record holds neither: non-finite floats (written as
    ``null``) and enums or UUIDs (written as their values). The depth is walked only for a
    record of more than :data:`MAX_DEPTH` dicts and lists. Anything refused is handed to
    :func:`encode_portable`, so the error (and its key path) is exactly the stdlib path's.

    Raises:
        InvalidValue: as :func:`to_portable`; nothing is returned then.
    """
    try:
        text = dumps(record, option=options).decode("utf-8")
        if _check_plain(record) > MAX_DEPTH:  # only then can it nest deeper than that
            _check_depth(record)
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return encode_portable(record, key_path)
    return text


_PLAIN = frozenset({str, int, bool, type(None)})
_NESTED = frozenset({dict, list, tuple})


def _check_plain(record: dict[str, Any]) -> int:
    """Raise ``ValueError`` when a record orjson accepted holds a non-finite float or any type
    but the exact JSON ones (an enum, a UUID); iterative, a few µs per run record.

    Returns how many dicts and lists the record holds, itself included: a bound on its depth.
    """
    stack: list[Any] = [record]
    pop, push = stack.pop, stack.append
    containers = 0
    while stack:
        node = pop()
        containers += 1
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind in _PLAIN:
                continue
            if kind is float:
                if child - child:  # 0.0 for a finite float; NaN (truthy) for NaN and infinities
                    raise ValueError(f"{child!r} is not a finite number")
            elif kind in _NESTED:
                push(child)
            else:
                raise ValueError(f"type {kind.__name__} is outside the portable model")
    return containers


def _may_be_deep(text: str) -> bool:
    """False when ``text`` has too few brackets to nest beyond :data:`MAX_DEPTH`."""
    return len(text) > 2 * MAX_DEPTH and text.count("{") + text.count("[") > MAX_DEPTH


def _may_hold_long_int(text: str) -> bool:
    """False when ``text`` has no run of digits longer than :data:`MAX_INT_DIGITS`."""
    return len(text) > MAX_INT_DIGITS and _LONG_DIGITS.search(text) is not None


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _check_keys(value: dict[str, Any], deep: bool = False) -> None:
    """Raise ``TypeError`` when a dict anywhere in ``value`` has a key that is not a str, and
    ``ValueError`` (with ``deep``) when it nests beyond :data:`MAX_DEPTH`.

    Runs after the C encoder accepted ``value``, so every node is a scalar, a dict or a list;
    an explicit stack and an exact-type test for scalars keep this to a few µs per record.
    """
    if deep:
        _check_depth(value)
    stack: list[Any] = [value]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if isinstance(node, dict):
            "".join(node)  # TypeError unless every key is a str: one C call per dict
            children: Any = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        for child in children:
            if type(child) not in _SCALARS:
                push(child)


def _check_depth(value: Any) -> None:
    """Raise ``ValueError`` when ``value`` nests deeper than :data:`MAX_DEPTH` (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list, tuple)))


def decode(text: str | bytes, max_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> dict[str, Any]:
    """Decode stored text into a record within the limits.

    Raises:
        ValueError: the text is not a JSON object, is larger than ``max_bytes``, nests deeper
            than :data:`MAX_DEPTH`, holds an int longer than :data:`MAX_INT_DIGITS` digits or a
            lone surrogate (``UnicodeDecodeError``, a ``ValueError``, for bytes that are not
            UTF-8).
    """
    if len(text) > max_bytes or (isinstance(text, str) and len(text) * 4 > max_bytes
                                 and len(text.encode("utf-8", "surrogatepass")) > max_bytes):
        raise ValueError(f"stored record is larger than the {max_bytes}-byte limit")
    as_text = text if isinstance(text, str) else text.decode("utf-8")  # strict: no surrogates
    try:
        record = _scan_object(as_text)
    except RecursionError:
        raise ValueError(f"stored record nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(record, dict):
        raise ValueError(f"stored record is a JSON {type(record).__name__}, not an object")
    if _may_be_deep(as_text):
        _check_depth(record)
    if _may_hold_long_int(as_text) or _may_hold_surrogate(as_text):
        to_portable(record, max_bytes=sys.maxsize)  # names the key of the long int / surrogate
    return record


def batch_decoder() -> Callable[[str | bytes, int], dict[str, Any]]:
    """The fastest installed decoder with the contract of :func:`decode`, for streams of records.

    With orjson installed (the ``fast`` extra) this is :func:`_decode_with_orjson`, about twice
    as fast per record; otherwise :func:`decode` itself. Only streams of records use it:
    importing orjson costs a few ms, which reading one record should not pay.
    """
    try:
        import orjson
    except ImportError:
        return decode
    return functools.partial(_decode_with_orjson, orjson.loads)


def _decode_with_orjson(
    loads: Callable[[str], Any], text: str | bytes, max_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> dict[str, Any]:
    """:func:`decode` through orjson, for the records that orjson reads exactly as the stdlib.

    orjson refuses what :func:`decode` refuses or reads differently: NaN and infinity literals,
    numbers beyond a double, lone surrogates (escaped or not), trailing data, nesting beyond
    1,024 levels. It reads an int beyond 64 bits as a float, so its record is kept only when it
    holds no float of magnitude 2**63 or more (what such an int becomes; a record that really
    holds one pays the stdlib path). Anything else, and any text that is not a ``str`` well
    under ``max_bytes``, goes through :func:`decode` itself, which gives the exact value or
    error. The depth limit is checked as :func:`decode` checks it.

    Raises:
        ValueError: as :func:`decode`.
    """
    if type(text) is not str or len(text) * 4 > max_bytes:
        return decode(text, max_bytes)
    try:
        record = loads(text)
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        return decode(text, max_bytes)
    if type(record) is not dict or _holds_huge_float(record):
        return decode(text, max_bytes)
    if _may_be_deep(text):
        _check_depth(record)
    return record


_HUGE = 2.0**63


def _holds_huge_float(record: dict[str, Any]) -> bool:
    """Whether a float of magnitude 2**63 or more is anywhere in ``record`` (iterative)."""
    stack: list[Any] = [record]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is float:
                if not -_HUGE < child < _HUGE:
                    return True
            elif kind is dict or kind is list:
                push(child)
    return False


def _scan_object(text: str) -> Any:
    """``json.loads(text)`` with the record's rules, without the whitespace matching around it.

    The C scanner reads the value at 0; a text with whitespace around it, trailing data or an
    error goes through the decoder's full path, which reads it or raises its own ``ValueError``.
    """
    try:
        value, end = _DECODER.scan_once(text, 0)
    except StopIteration:  # no value at 0: whitespace first, or not JSON
        end = -1
    if end != len(text):
        value = _DECODER.decode(text)
    return value


def _may_hold_surrogate(text: str) -> bool:
    """False when decoding ``text`` cannot give a lone surrogate (which no backend can write
    back and no UTF-8 output can print): JSON's ``\\udXXX`` escapes or one in the str itself."""
    if "\\u" in text and _ESCAPED_SURROGATE.search(text):
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_constant(name: str) -> float:
    raise ValueError(f"stored record holds {name}, which is not a finite number")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def content_hash(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical (key-sorted) encoding: equal content, equal hash."""
    import hashlib  # only migrate compares content; every other command starts without it

    return hashlib.sha256(_CANONICAL.encode(record).encode("utf-8")).hexdigest()
