"""A run history for the run browser's tests and its README screenshot (docs/ui.png).

:func:`write_history` writes a few weeks of realistic records (three branches, two commands,
failures with tracebacks, one run whose heartbeat stopped, one run still going) into any store; with ``hostile=True`` it adds
records whose param, branch name and exception message carry markup that would set
``window.__pwned`` if the page ever let it run.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

from session_core.ids import new_session_id
from session_core.record import RECORD_VERSION

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)
BRANCHES = ("main", "feature/faster-join", "fix/null-dates")
COMMANDS = (("train.py", "--lr"), ("evaluate.py", "--split"))
#: Markup that sets ``window.__pwned`` if it ever runs: a script element and an onerror handler.
SCRIPT_PARAM = "<script>window.__pwned = 'param'</script><img src=x onerror=\"window.__pwned='param-img'\">"
SCRIPT_BRANCH = "<img/src=x/onerror=window.__pwned='branch'>"
SCRIPT_MESSAGE = "<script>window.__pwned='exception'</script><svg/onload=window.__pwned='exception-svg'>"


def record(
    session_id: str,
    started: datetime,
    *,
    status: str = "completed",
    duration: float | None = 42.0,
    branch: str = "main",
    script: str = "train.py",
    params: dict[str, Any] | None = None,
    exception: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One record as the session core writes it for ``run -- python SCRIPT --key value ...``."""
    params = params or {}
    args = [script, *[part for key, value in params.items() for part in (f"--{key}", str(value))]]
    ended = None if duration is None else started + timedelta(seconds=duration)
    return {
        "record_version": RECORD_VERSION,
        "session_id": session_id,
        "project_path": "/home/ana/churn",
        "package_name": "churn",
        "username": "ana",
        "host": "build-01",
        "cli": {
            "args": args,
            "params": params,
            "command_name": "python",
            "command_path": "python " + " ".join(args),
        },
        "git": {"commit_sha": hashlib.sha1(branch.encode()).hexdigest(), "branch": branch, "dirty": False},
        "env": {"PYTHONHASHSEED": "0"},
        "runtime_params": {},
        "status": status,
        "started_at": started.isoformat(timespec="microseconds"),
        "ended_at": None if ended is None else ended.isoformat(timespec="microseconds"),
        "duration_s": duration,
        "exit_code": None if status == "running" else (0 if status == "completed" else 1),
        **({"exception": exception} if exception else {}),
        **extra,
    }


def history(count: int = 48, hostile: bool = False) -> list[dict[str, Any]]:
    """``count`` records over the 16 days before :data:`NOW`, oldest first (ids sort by time)."""
    records = []
    for i in range(count):
        started = NOW - timedelta(hours=8 * (count - i))
        branch = BRANCHES[i % 3]
        script, flag = COMMANDS[i % 5 == 0]
        value = [0.1, 0.03, 0.01][i % 3] if script == "train.py" else ["valid", "test"][i % 2]
        failed = i % 7 == 3 or (branch == "fix/null-dates" and i % 4 == 1)
        exception = {
            "type": "ValueError",
            "value": "cannot convert NaT to a date in column 'signup_day'",
            "traceback": [
                "Traceback (most recent call last):\n",
                f'  File "/home/ana/churn/{script}", line 88, in <module>\n',
                "    main()\n",
                "ValueError: cannot convert NaT to a date in column 'signup_day'\n",
            ],
        } if failed else None
        records.append(record(
            new_session_id(started), started,
            status="failed" if failed else "completed",
            duration=round(60 + 25 * (i % 5) + (30 if branch == "feature/faster-join" else 0) + i * 0.7, 2),
            branch=branch, script=script, params={flag[2:]: value}, exception=exception,
            **({"accuracy": round(0.81 + (i % 9) / 100, 3)} if script == "train.py" and not failed else {}),
        ))
    lost_start = NOW - timedelta(hours=20)  # killed: its heartbeat stopped 19 hours before NOW
    records.append(record(new_session_id(lost_start), lost_start, status="running", duration=None,
                          branch="feature/faster-join", params={"lr": 0.1}, heartbeat_s=30.0,
                          heartbeat_at=(lost_start + timedelta(hours=1)).isoformat(timespec="microseconds")))
    running_start = NOW - timedelta(minutes=3)
    records.append(record(new_session_id(running_start), running_start, status="running", duration=None,
                          params={"lr": 0.01}))
    if hostile:
        started = NOW - timedelta(minutes=1)
        records.append(record(new_session_id(started), started, status="failed", branch=SCRIPT_BRANCH,
                              params={"note": SCRIPT_PARAM},
                              exception={"type": "RuntimeError", "value": SCRIPT_MESSAGE, "traceback": []}))
    return sorted(records, key=lambda r: r["session_id"])


def write_history(store: Any, count: int = 48, hostile: bool = False) -> list[dict[str, Any]]:
    """Write :func:`history` into ``store`` and return the records, oldest first."""
    records = history(count, hostile)
    store.write_many((r["session_id"], r) for r in records)
    return records

