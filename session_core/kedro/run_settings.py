"""Run a Kedro project's settings module in a process of its own; answer with its store setting.

    python -m session_core.kedro.run_settings SETTINGS_FILE SOURCE_DIR

Computed settings (``{"path": str(Path(__file__).parent / "x")}``) can only be read by running
the module, and running it runs whatever it imports: kedro configures logging with a handler on
stdout, and a module may print. None of that may reach the stdout of ``list --json`` or stay
configured in our process, so :func:`session_core.kedro.settings.read_store_setting` runs the
module here, in a child. Everything the module writes to stdout goes to stderr; the answer is
one JSON object on the original stdout: ``{"class_path": ..., "args": ...}``, or
``{"error": ..., "setting": ...}`` when the module fails or its values have the wrong type.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import PurePath
from typing import Any

CLASS_SETTING = "SESSION_STORE_CLASS"
ARGS_SETTING = "SESSION_STORE_ARGS"


def read(file: str, source_dir: str) -> dict[str, Any]:
    """The answer for one settings module (see the module docstring)."""
    sys.path.insert(0, source_dir)
    try:
        namespace = runpy.run_path(file)
    except BaseException as exc:  # noqa: BLE001 - SystemExit from a module is a failure too
        return {"setting": file, "error": f"running the Kedro settings module failed ({exc!r})"}
    cls = namespace.get(CLASS_SETTING)
    args = namespace.get(ARGS_SETTING) or {}
    if cls is not None and not isinstance(cls, type):
        return {"setting": f"{CLASS_SETTING} in {file}", "error": "expected a class", "value": repr(cls)}
    class_path = None if cls is None else f"{cls.__module__}:{cls.__qualname__}"
    return {"class_path": class_path, "args": args}


def _json_value(value: Any) -> Any:
    if isinstance(value, PurePath):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not a store option value (use str, int, float, bool, list, dict)")


def main(argv: list[str]) -> int:
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the settings module prints, at any level, goes to stderr
    found = read(*argv)
    try:
        text = json.dumps(found, default=_json_value)
    except (TypeError, ValueError) as exc:
        text = json.dumps({"setting": f"{ARGS_SETTING} in {argv[0]}", "error": str(exc), "value": repr(found.get("args"))})
    answer.write(text)
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
