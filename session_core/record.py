"""The run record: Kedro's key names plus ours, built once per session.

Kedro's keys: ``session_id``, ``project_path`` (a str), ``package_name``, ``username``, ``cli``
{``args``, ``params``, ``command_name``, ``command_path``}, ``git`` {``commit_sha``, ``branch``,
``dirty``}, ``env``, ``runtime_params``, ``exception`` {``type``, ``value``, ``traceback``}.
Ours: ``status``, ``started_at``, ``ended_at`` (ISO-8601 UTC), ``duration_s``, ``host``,
``exit_code`` (every finished wrapped command, 0 included), ``stderr_tail`` (the last lines a
failed wrapped command wrote to stderr, redacted) and ``record_version``.
"""

from __future__ import annotations

import getpass
import os
import shlex
import sys
import traceback
from datetime import datetime, timezone
from typing import Any

from .kinds import Status
from .redact import redact_argv, redact_mapping

RECORD_VERSION = 1

#: Seconds between heartbeats of a running session unless configured otherwise.
DEFAULT_HEARTBEAT_S = 30.0
#: A running record reads as lost when its heartbeat is older than this many intervals.
LOST_AFTER_INTERVALS = 3


def utc_now() -> str:
    """Now as ISO-8601 UTC with microseconds (``2026-11-25T01:38:05.123456+00:00``)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def host_name() -> str:
    """This machine's name, as ``socket.gethostname()`` gives it (``uname``'s node name where
    there is one, which spares every run the import of :mod:`socket`)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def current_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER in containers
        return None


def cli_from_argv(argv: list[str]) -> dict[str, Any]:
    """CLI info of a command line: ``--key value`` / ``--key=value`` / ``--flag`` become params.

    Secrets are redacted first, so neither ``args`` nor ``params`` can hold them.
    """
    safe = redact_argv(list(argv))
    params: dict[str, Any] = {}
    i = 1
    while i < len(safe):
        arg = safe[i]
        if arg.startswith("--") and len(arg) > 2:
            name, sep, value = arg[2:].partition("=")
            if sep:
                params[name] = value
            elif i + 1 < len(safe) and not safe[i + 1].startswith("-"):
                params[name] = safe[i + 1]
                i += 1
            else:
                params[name] = True
        i += 1
    return {
        "args": safe[1:],
        "params": params,
        "command_name": os.path.basename(safe[0]) if safe else None,
        "command_path": shlex.join(safe),
    }


def cli_from_click(ctx: Any) -> dict[str, Any]:
    """CLI info of a click context, the way Kedro records ``kedro run``."""
    return {
        "args": redact_argv([str(a) for a in ctx.args]),
        "params": redact_mapping(dict(ctx.params)),
        "command_name": ctx.command.name,
        "command_path": shlex.join(redact_argv([ctx.find_root().info_name or "", *sys.argv[1:]])),
    }


def describe_cli(cli: Any) -> dict[str, Any]:
    """CLI info from a dict, a click context, an argv list, or the running process."""
    if cli is None:
        click = sys.modules.get("click")  # only look for a context when click is in use
        ctx = click.get_current_context(silent=True) if click else None
        return cli_from_click(ctx) if ctx is not None else cli_from_argv(sys.argv)
    if isinstance(cli, dict):
        return redact_mapping(cli)
    if isinstance(cli, (list, tuple)):
        return cli_from_argv([str(a) for a in cli])
    if hasattr(cli, "params") and hasattr(cli, "command"):
        return cli_from_click(cli)
    raise TypeError(f"cli must be a dict, an argv list or a click.Context, not {type(cli).__name__}")


def describe_exception(exc: BaseException, with_traceback: bool = True) -> dict[str, Any]:
    """``{"type", "value", "traceback"}`` with the traceback as a list of strings, redacted.

    A wrapped command's failure is an outcome, not a crash of ours: its traceback would only show
    session-core's own frames, so callers pass ``with_traceback=False`` for it.
    """
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return redact_mapping({  # an exception's text often quotes a URL with its password
        "type": name,
        "value": str(exc),
        "traceback": traceback.format_exception(exc) if with_traceback else [],
    })


def new_record(
    *,
    session_id: str,
    project_path: str,
    package_name: str | None,
    cli: dict[str, Any],
    git: dict[str, Any] | None,
    env: Any,
    runtime_params: dict[str, Any] | None,
) -> dict[str, Any]:
    """The record as written when the session starts (status ``running``)."""
    return {
        "record_version": RECORD_VERSION,
        "session_id": session_id,
        "project_path": project_path,
        "package_name": package_name,
        "username": current_user(),
        "host": host_name(),
        "cli": cli,
        "git": git,
        "env": redact_mapping(env),
        "runtime_params": redact_mapping(runtime_params or {}),
        "status": Status.RUNNING,
        "started_at": utc_now(),
        "ended_at": None,
        "duration_s": None,
    }
