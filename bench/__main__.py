"""``python -m bench``: run every suite, print the table, write the JSON and the plot."""

from __future__ import annotations

import argparse
import importlib
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import backends as backend_modules
from .core import Figure
from .report import plot, table, write_json
from .settings import FULL_SIZES, Settings, quick

#: suite name -> module with ``run(settings, backends, workdir) -> list[Figure]``
SUITES = {
    "startup": "bench.startup",
    "git": "bench.gitbench",
    "lifecycle": "bench.lifecycle",
    "bulk": "bench.bulk",
    "concurrent": "bench.concurrent",
    "s3": "bench.s3",
    "bucket": "bench.bucket",
    "migrate": "bench.migrate",
    "history": "bench.history",
    "scale": "bench.scale",
    "ui": "bench.ui",
}
RESULTS = Path("bench") / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode: every suite once at tiny sizes (checks the harness; figures mean nothing)")
    parser.add_argument("--max-sessions", type=int, default=None,
                        help=f"cap every bulk size (default {FULL_SIZES[-1]:,}; the JSON folder stops at 10,000, shelve at 1,000)")
    parser.add_argument("--backends", default=None,
                        help=f"comma-separated subset of {','.join(backend_modules.MODULES)}")
    parser.add_argument("--suites", default=None, help=f"comma-separated subset of {','.join(SUITES)}")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="the JSON file to write")
    parser.add_argument("--plot", type=Path, default=None, help="the PNG to draw (default: beside --out)")
    parser.add_argument("--no-plot", action="store_true", help="skip the plot")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return parser.parse_args(argv)


def build_settings(args: argparse.Namespace) -> Settings:
    if args.quick:
        return quick(args.max_sessions or 50)
    if args.max_sessions is None:
        return Settings()
    cap = args.max_sessions
    sizes = tuple(n for n in FULL_SIZES if n <= cap) or (cap,)
    return Settings(sizes=sizes, max_sessions=cap, migrate_sizes=(max(1, cap // 10), cap))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    settings = build_settings(args)
    names = args.backends.split(",") if args.backends else None
    backends = backend_modules.load(names)
    suites = args.suites.split(",") if args.suites else list(SUITES)
    unknown = sorted(set(suites) - set(SUITES))
    if unknown:
        print(f"unknown suites: {', '.join(unknown)} (known: {', '.join(SUITES)})", file=sys.stderr)
        return 2
    figures: list[Figure] = []
    skipped: dict[str, str] = {}
    workdir = Path(tempfile.mkdtemp(prefix="session-core-bench-"))
    started = time.perf_counter()
    try:
        for name in suites:
            module = importlib.import_module(SUITES[name])
            reason = getattr(module, "unavailable", lambda: None)()
            if reason:
                skipped[name] = reason
                print(f"[{name}] skipped: {reason}", file=sys.stderr)
                continue
            suite_start = time.perf_counter()
            found = module.run(settings, backends, workdir)
            figures.extend(found)
            print(f"[{name}] {len(found)} figures in {time.perf_counter() - suite_start:.1f}s",
                  file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    print(table(figures))
    missed = [f for f in figures if f.met is False]
    print(f"\n{len(figures)} figures, {sum(f.met is True for f in figures)} targets met, "
          f"{len(missed)} missed, in {elapsed:.0f}s")
    run_settings = {**settings.to_json(), "backends": [b.name for b in backends],
                    "suites": suites, "skipped": skipped, "elapsed_s": round(elapsed, 1)}
    write_json(figures, args.out, run_settings)
    print(f"figures: {args.out}")
    if not args.no_plot:
        png = args.plot or args.out.with_suffix(".png")
        if plot(figures, png):
            print(f"plot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
