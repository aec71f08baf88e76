"""Kedro's session data, turned into the portable run record; the run's start and end.

``KedroSession`` fills its store with Python objects: ``project_path`` as a ``pathlib.Path``, the
click context's ``cli`` data (tuples, ``None``, a ``--params`` dict that OmegaConf may have
parsed into dates), a short git sha without a branch, ``exception`` from ``__exit__`` and
``runtime_params`` as given. :func:`normalise` maps all of it onto the record every other run
has (see :mod:`session_core.record`), so ``list``, ``show`` and ``migrate`` read Kedro runs like
any other. It is lenient where the core is strict: Kedro, not the user, chose those values, and a
Kedro run must never fail because of how Kedro shaped them.

:func:`start_run` and :func:`end_run` are what the Kedro hooks add, since Kedro itself records
no status and no timing.

This module never imports kedro: it only handles the data.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..record import (
    RECORD_VERSION,
    current_user,
    describe_exception,
    utc_now,
)
from ..errors import RunInterrupted
from ..kinds import Status
from ..redact import REDACTED, is_secret_name, redact_argv, redact_mapping
from ..values import Leniency, to_portable


#: the exception type names (as Kedro's ``__exit__`` writes them) that mean "interrupted":
#: Ctrl-C, and SIGTERM as the hooks raise it
INTERRUPT_TYPES = ("KeyboardInterrupt", f"{RunInterrupted.__module__}.{RunInterrupted.__qualname__}")


def portable(value: Any, key_path: str = "$") -> Any:
    """A copy of ``value`` in the portable model: :func:`session_core.values.to_portable` in its
    ``lenient`` mode (paths, dates, sets, enums converted; anything else its ``str()``), which
    never raises for what Kedro stores."""
    return to_portable(value, key_path, Leniency.LENIENT)


def redact_command_path(command_path: str) -> str:
    """Redact Kedro's ``command_path`` (``"kedro run --params db.password=x,lr=0.1"``).

    Kedro joins ``sys.argv`` with spaces, and its ``--params`` items are ``dotted.key=value``
    lists, which :func:`redact_argv` alone does not see as assignments.
    """
    tokens = redact_argv(command_path.split(" "))
    return " ".join(_redact_assignments(token) for token in tokens)


def _redact_assignments(token: str) -> str:
    """``db.password=x,lr=1`` -> ``db.password=***REDACTED***,lr=1`` (also after ``--params=``)."""
    prefix = ""
    if token.startswith("-"):
        option, sep, token = token.partition("=")
        if not sep:
            return option
        prefix = option + sep
    if "=" not in token:
        return prefix + token
    items = []
    for item in token.split(","):
        key, sep, _ = item.partition("=")
        items.append(f"{key}={REDACTED}" if sep and is_secret_name(key.rpartition(".")[2]) else item)
    return prefix + ",".join(items)


def _normalise_cli(cli: Any) -> Any:
    if not isinstance(cli, dict):
        return cli
    out = dict(cli)
    if isinstance(out.get("args"), list):
        out["args"] = redact_argv([str(arg) for arg in out["args"]])
    if isinstance(out.get("command_path"), str):
        out["command_path"] = redact_command_path(out["command_path"])
    out["params"] = redact_mapping(out.get("params") or {})
    return out


def normalise(data: Mapping[str, Any], package_name: str | None = None) -> dict[str, Any]:
    """The portable record for Kedro's session data (a new dict; ``data`` is not changed).

    Secrets under secret-looking names in ``cli`` and ``runtime_params`` are redacted, the
    record gets the keys every record has (``record_version``, ``package_name``, ``username``,
    ``host``, ...), and a record Kedro closed with an exception while it was still ``running``
    (or before any run started) gets its final status: ``interrupted`` for ``KeyboardInterrupt``,
    else ``failed``.
    """
    record = portable(dict(data))
    record["cli"] = _normalise_cli(record.get("cli"))
    record["runtime_params"] = redact_mapping(record.get("runtime_params") or {})
    record["env"] = redact_mapping(record.get("env"))
    if isinstance(record.get("git"), dict):
        record["git"].setdefault("branch", None)
    record.setdefault("record_version", RECORD_VERSION)
    if record.get("package_name") is None:
        record["package_name"] = package_name
    record.setdefault("username", current_user())
    record.setdefault("host", socket.gethostname())
    _settle(record)
    return redact_mapping(record)


def _settle(record: dict[str, Any]) -> None:
    """Give a record that ended with an exception the status the hooks could not give it."""
    exception = record.get("exception")
    if not isinstance(exception, dict) or record.get("status") not in (None, Status.RUNNING):
        return
    record["status"] = Status.INTERRUPTED if exception.get("type") in INTERRUPT_TYPES else Status.FAILED
    if record.get("ended_at") is None:
        record["ended_at"] = utc_now()
        record["duration_s"] = _seconds_between(record.get("started_at"), record["ended_at"])


def _seconds_between(start: Any, end: str) -> float | None:
    try:
        began = datetime.fromisoformat(start).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None
    return round((datetime.fromisoformat(end) - began).total_seconds(), 6)


def start_run(data: dict[str, Any]) -> None:
    """Mark the session's data as a run that started now (status ``running``)."""
    data.update(status=Status.RUNNING, started_at=utc_now(), ended_at=None, duration_s=None, exception=None)


def end_run(data: dict[str, Any], duration_s: float | None, error: BaseException | None = None) -> None:
    """Mark the run as ended now: ``completed``, or ``failed``/``interrupted`` with ``error``.

    ``duration_s`` comes from a monotonic clock; ``None`` computes it from ``started_at``.
    """
    ended = utc_now()
    if duration_s is None:
        duration_s = _seconds_between(data.get("started_at"), ended)
    data.update(ended_at=ended, duration_s=None if duration_s is None else round(duration_s, 6))
    if error is None:
        data.update(status=Status.COMPLETED, exception=None)
        return
    status = Status.INTERRUPTED if isinstance(error, KeyboardInterrupt) else Status.FAILED
    data.update(status=status, exception=describe_exception(error))
