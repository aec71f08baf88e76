"""``run -- CMD ...``: record a session around any command."""

from __future__ import annotations

import argparse
import sys

HELP = "run a command and record it as a session (the command's exit code passes through)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--session-id", help="use this id instead of a generated one")
    parser.add_argument("--project", help="project folder (default: nearest pyproject.toml)")
    parser.add_argument("--package-name", help="recorded as package_name")
    parser.add_argument("--no-git", action="store_true", help="do not record git info")
    parser.add_argument("--git-details", action="store_true", help="add remotes, author, message (GitPython)")
    parser.add_argument("--strict", action="store_true", help="fail when the store fails (default: spool)")
    parser.add_argument("--heartbeat", type=float, metavar="SECONDS",
                        help="refresh the record every SECONDS while the command runs, so a killed run "
                        "shows as lost (default: $SESSION_CORE_HEARTBEAT, [tool.session_core] heartbeat, 30; 0: off)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")


def main(args: argparse.Namespace) -> int:
    from ..config import parse_option_pairs
    from ..errors import CommandNotStarted
    from ..wrapped import run_recorded

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("error: give the command to run after --, e.g. `run -- python train.py`", file=sys.stderr)
        return 2
    try:
        return run_recorded(
            command,
            store=args.store,
            store_args=parse_option_pairs(args.store_arg, "--store-arg") if args.store_arg else None,
            session_id=args.session_id,
            project_path=args.project,
            package_name=args.package_name,
            git=False if args.no_git else ("rich" if args.git_details else True),
            strict=args.strict,
            heartbeat=args.heartbeat,
        )
    except CommandNotStarted as exc:
        print(f"error: {exc} (recorded as failed, exit code {exc.exit_code})", file=sys.stderr)
        return exc.exit_code
