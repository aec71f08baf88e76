"""``migrate``: copy every session from SRC to DST, or upgrade a store's format in place.

    python -m session_core migrate SRC DST [--verify] [--dry-run] [--on-conflict skip|overwrite|fail]
    python -m session_core migrate --upgrade [STORE]

SRC and DST are short names, URLs or class paths (as ``--store``); SRC may also be a legacy
source: ``kedro-shelve:///folder`` (Kedro's ShelveStore) or ``kedro-viz:///session_store.db``.
Progress goes to stderr (a bar on a terminal, plain lines otherwise), the summary to stdout.
Exit code: 0 when nothing failed; 3 when some records failed (each named on stderr, every other
one copied; with ``--strict``, the first failed record stops the run, also 3); 1 when the run
stopped for any other reason (a store that cannot open or write, ``--on-conflict fail``); 2 for
bad usage. See docs/migration.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ..kinds import LegacyIds, OnConflict, OutcomeKind, choices

HELP = "copy every session from SRC to DST (safe to re-run), or --upgrade a store's format"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_RECORDS_FAILED = 0, 1, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", nargs="?", metavar="SRC", help="the store to copy from (read only)")
    parser.add_argument("dst", nargs="?", metavar="DST", help="the store to copy into")
    parser.add_argument("--src-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="an option for SRC (repeatable)")
    parser.add_argument("--dst-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="an option for DST (repeatable)")
    parser.add_argument("--on-conflict", choices=choices(OnConflict), default=OnConflict.SKIP.value,
                        help="an id already in DST with other content: keep DST's record and "
                        "report it (skip, the default), replace it, or stop")
    parser.add_argument("--verify", action="store_true",
                        help="read every copied record back and compare content hashes")
    parser.add_argument("--dry-run", action="store_true", help="report what would happen, write nothing")
    parser.add_argument("--batch-size", type=int, default=None, metavar="N",
                        help="records per batch write (default: what DST asks for, 1000 for most stores)")
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto",
                        help="progress on stderr: a bar on a terminal, lines otherwise (auto)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--strict", action="store_true",
                        help="stop at the first record that cannot be read or carried over "
                        "(default: name it on stderr, count it, go on; exit code 3 either way)")
    parser.add_argument("--legacy-ids", choices=choices(LegacyIds), default=LegacyIds.REFUSE.value,
                        help="a source id our rules refuse (a/b, quotes, NUL): fail that record "
                        "(refuse, the default) or carry it over under a safe id derived from it, "
                        "keeping the original as `legacy_id` in the record (map)")
    parser.add_argument("--upgrade", action="store_true",
                        help="upgrade STORE (the one positional, else --store or the configured "
                        "store) in place to the current format, keeping a backup first")


def main(args: argparse.Namespace) -> int:
    if args.upgrade:
        return _upgrade(args)
    if not (args.src and args.dst):
        print("error: migrate needs SRC and DST (or --upgrade STORE)", file=sys.stderr)
        return EXIT_USAGE
    if args.batch_size is not None and args.batch_size < 1:
        print("error: --batch-size must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    return _copy(args)


def _copy(args: argparse.Namespace) -> int:
    import contextlib

    from ..config import parse_option_pairs
    from ..location import find_project_root, local_path
    from ..migrate.endpoints import parse_endpoint, same_store
    from ..migrate.engine import MigrationOptions, migrate

    project = find_project_root()
    src_spec = parse_endpoint(args.src, parse_option_pairs(args.src_arg, "--src-arg"), project, "SRC", source=True)
    dst_spec = parse_endpoint(args.dst, parse_option_pairs(args.dst_arg, "--dst-arg"), project, "DST", source=False)
    if same_store(src_spec, dst_spec):
        print(f"error: SRC and DST are the same store ({src_spec!r} and {dst_spec!r})", file=sys.stderr)
        return EXIT_USAGE
    dst_path = local_path(dst_spec.path)
    dst_missing = dst_path is not None and not dst_path.exists()
    options = MigrationOptions(
        args.on_conflict, args.verify, args.dry_run, args.batch_size, args.strict, args.legacy_ids
    )
    with contextlib.ExitStack() as stack:
        src = stack.enter_context(src_spec.open(create=False))
        # a dry run into a new location must not create it: nothing is there to compare with
        dst = None if (args.dry_run and dst_missing) else stack.enter_context(dst_spec.open())
        total = sum(1 for _ in src.session_ids())
        progress = _Progress(args.progress, total)
        started = time.monotonic()
        try:
            report = migrate(src, dst, options, progress.update)
        finally:
            progress.close()
        elapsed = time.monotonic() - started
        summary = {"src": src.location, "dst": _dst_location(dst, dst_spec), "total": total,
                   **report.as_dict(), "seconds": round(elapsed, 3)}
    _print_summary(summary, args.json)
    if report.stopped is not None and report.stopped_at is None:
        return EXIT_FAILED
    return EXIT_RECORDS_FAILED if report.failed else EXIT_OK


def _dst_location(dst: Any, spec: Any) -> str:
    return dst.location if dst is not None else f"{spec.class_path.rpartition(':')[2]}({spec.path})"


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    verb = "would copy" if summary["dry_run"] else "copied"
    print(f"{'dry run: ' if summary['dry_run'] else ''}{summary['src']} -> {summary['dst']}")
    print(f"  sessions in source: {summary['total']}")
    print(f"  {verb}: {summary['copied']}")
    print(f"  already present: {summary['already_present']}")
    overwritten = f" ({summary['overwritten']} overwritten)" if summary["overwritten"] else ""
    print(f"  conflicts: {summary['conflicts']}{overwritten}")
    print(f"  failed: {summary['failed']}")
    if summary["verified"]:
        print(f"  verified: {summary['verified']}")
    if summary["stopped"]:
        print(f"  stopped early: {summary['stopped']}")


class _Progress:
    """Shows each record's outcome: a tqdm bar on a terminal, plain lines otherwise.

    Failures and conflicts are always printed, one line each, as they happen.
    """

    def __init__(self, mode: str, total: int) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "lines"
        self._bar = None
        if mode == "bar":
            try:
                from tqdm import tqdm
            except ImportError:  # the `migrate` extra is not installed
                mode = "lines"
            else:
                self._bar = tqdm(total=total, unit="session", file=sys.stderr, dynamic_ncols=True)
        self._lines = mode == "lines"
        self._total = total
        self._done = 0
        self._counts: dict[str, int] = {}
        self._step = max(1, min(1000, total // 20))

    def update(self, outcome: Any) -> None:
        if outcome.error is not None:
            who = f"session {outcome.session_id}" if outcome.session_id else "store"
            self._write(f"{outcome.kind}: {who}: {outcome.error}")
        if outcome.session_id is None or outcome.kind is OutcomeKind.VERIFY_FAILED:  # not a new record
            return
        self._done += 1
        self._counts[outcome.kind] = self._counts.get(outcome.kind, 0) + 1
        if self._bar is not None:
            self._bar.update(1)
        elif self._lines and (self._done % self._step == 0 or self._done == self._total):
            counts = ", ".join(f"{kind} {n}" for kind, n in sorted(self._counts.items()))
            self._write(f"progress: {self._done}/{self._total} ({counts})")

    def _write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _upgrade(args: argparse.Namespace) -> int:
    from ..config import parse_option_pairs, resolve_store
    from ..location import require_existing
    from ..migrate.upgrade import upgrade_store

    if args.dst:
        print("error: --upgrade takes one STORE", file=sys.stderr)
        return EXIT_USAGE
    pairs = args.store_arg + args.src_arg
    spec = resolve_store(args.src or args.store, parse_option_pairs(pairs, "--store-arg") if pairs else None)
    spec.store_class().check_options(spec.options)
    require_existing(spec.store_class(), spec.path, spec.origin)
    result = upgrade_store(spec, legacy_ids=args.legacy_ids)
    if args.json:
        print(json.dumps(result.as_dict()))
    elif result.backup is None:
        print(f"{result.location}: already at format {result.to_version}, nothing to do")
    else:
        print(f"{result.location}: upgraded from format {result.from_version} to {result.to_version}")
        print(f"  backup: {result.backup}")
        print(f"  sessions: {result.sessions}")
        print(f"  failed: {len(result.failures)}")
    for session_id, reason in result.failures:
        print(f"failed: session {session_id!r}: {reason} (kept in the backup)", file=sys.stderr)
    return EXIT_OK if not result.failures else EXIT_RECORDS_FAILED
