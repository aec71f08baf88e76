"""Carrying a legacy id our rules refuse (``a/b``, quotes, NUL), only when asked.

Legacy sources (kedro-viz databases above all) may hold ids that are unsafe as keys. By default
such a record fails like any other bad record; with ``--legacy-ids map`` (``migrate`` and
``migrate --upgrade``) it is carried over under :func:`~session_core.ids.legacy_id_to_safe` of
its id, and the record keeps the original under :data:`LEGACY_ID_KEY`.
"""

from __future__ import annotations

from typing import Any

from session_core import values
from session_core.errors import InvalidSessionId
from session_core.ids import legacy_id_to_safe, validate_session_id
from session_core.kinds import LegacyIds

#: The record key that keeps a legacy id carried over under a mapped id.
LEGACY_ID_KEY = "legacy_id"


def carry(session_id: object, record: dict[str, Any], legacy_ids: LegacyIds) -> tuple[str, dict[str, Any]]:
    """The id and record a source record is written as.

    Raises:
        InvalidSessionId: the id is refused and ``legacy_ids`` is not ``map``.
    """
    try:
        return validate_session_id(session_id), record
    except InvalidSessionId:
        if legacy_ids is not LegacyIds.MAP or not isinstance(session_id, str):
            raise
    safe = legacy_id_to_safe(session_id)
    return safe, {**record, "session_id": safe, LEGACY_ID_KEY: session_id}


def carry_text(session_id: object, text: str, legacy_ids: LegacyIds) -> tuple[str, str]:
    """:func:`carry` for a record given as JSON text (decoded only when its id is mapped).

    Raises:
        InvalidSessionId: as :func:`carry`.
    """
    try:
        return validate_session_id(session_id), text
    except InvalidSessionId:
        if legacy_ids is not LegacyIds.MAP:
            raise
    safe, record = carry(session_id, values.decode(text), legacy_ids)
    return safe, values.encode(record)
