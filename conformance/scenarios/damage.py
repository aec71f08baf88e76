"""Damage to a local store's files, and what every read must make of it.

Used by SC-BAD-006: each file of the store in turn is garbled, or replaced by a folder (an
unreadable file), with a copy of the intact files put back before the next one. A read then
either returns the record as it was (the file did not hold it: a lock or an index) or raises
the toolkit's :class:`~session_core.errors.StoreError` naming the location. It never looks like
"not found", an empty store, another record, or a bare library exception.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from session_core.errors import SessionNotFound, StoreError
from session_core.registry import StoreSpec

#: The ways a file is damaged: name -> function of the file's path.
DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbled": lambda path: path.write_bytes(b"\xff\x00not what was written\x00" * max(1, path.stat().st_size // 24 + 1)),
    "unreadable (a folder in its place)": lambda path: (path.unlink(), path.mkdir()),
}


def store_files(root: Path) -> list[Path]:
    """The files that make up a local store rooted at ``root`` (a file and its siblings, or a folder)."""
    if root.is_dir():
        return sorted(path for path in root.rglob("*") if path.is_file())
    return sorted(path for path in root.parent.iterdir() if path.is_file() and path.name.startswith(root.name))


def backup(root: Path, into: Path) -> None:
    for path in store_files(root):
        target = into / path.relative_to(root.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def restore(root: Path, backup_folder: Path) -> None:
    """Put the store back exactly as it was backed up (removing what appeared since)."""
    if root.is_dir():
        shutil.rmtree(root)
    else:
        for path in root.parent.iterdir():
            if path.name.startswith(root.name):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in sorted(backup_folder.rglob("*")):
        target = root.parent / path.relative_to(backup_folder)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            shutil.copy2(path, target)


def damaged_copies(root: Path, scratch: Path) -> Iterator[str]:
    """Damage each file of the store in turn; yield a description while it is damaged."""
    backup(root, scratch)
    for path in store_files(root):
        for name, damage in DAMAGE.items():
            damage(path)
            yield f"{path.relative_to(root.parent)} {name}"
            restore(root, scratch)


def read_problems(spec: StoreSpec, session_id: str, record: dict[str, Any], listing: bool) -> list[str]:
    """What is wrong with each read of ``session_id`` on a damaged store (see the module doc)."""
    problems: list[str] = []

    def check(what: str, read: Callable[[], Any], intact: Any) -> None:
        try:
            found = read()
        except SessionNotFound:
            problems.append(f"{what} said 'not found' instead of reporting the damage")
        except StoreError as exc:
            if not exc.location:
                problems.append(f"{what}: {type(exc).__name__} without the store's location")
        except Exception as exc:
            problems.append(f"{what}: {type(exc).__name__} instead of the toolkit's StoreError: {exc}")
        else:
            if found != intact:
                problems.append(f"{what} returned {str(found)[:120]} instead of reporting the damage")

    def opened(operation: Callable[[Any], Any], session: str | None = None) -> Callable[[], Any]:
        def run() -> Any:
            with spec.open(session) as store:
                return operation(store)

        return run

    check("load", opened(lambda store: store.load(session_id)), record)
    check("has_session", opened(lambda store: store.has_session(session_id)), True)
    check("the Kedro mapping", opened(dict, session_id), record)
    if listing:
        check("session_ids", opened(lambda store: list(store.session_ids())), [session_id])
        check("iter_records", opened(lambda store: list(store.iter_records())), [(session_id, record)])
    return problems
