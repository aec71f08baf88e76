"""What a command pays at start-up: the parser of the named subcommand only, nothing it does not use.

``run`` is the path every recorded run takes, so its process must not import the other
commands' modules or modules the run never uses; the answers must stay those of the full parser.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from session_core import cli

SHOW_IMPORTS = (
    "import json, sys; from session_core.cli import parse_args; parse_args(sys.argv[1:]); "
    "print(json.dumps(sorted(sys.modules)))"
)


def imported_by_parse(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", SHOW_IMPORTS, *argv], capture_output=True, text=True,
                          timeout=120, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--", "true"], "run"),
        (["-v", "list"], "list"),
        (["--store", "sqlite:///x.db", "show", "ID"], "show"),
        (["--store=sqlite:///x.db", "list"], "list"),
        (["--store-arg", "timeout=5", "--sto", "run", "list"], "list"),  # the value of an abbreviation
        (["--store", "list", "run"], "run"),  # a store named like a command is the option's value
        (["-h", "run"], None),  # the whole help
        (["--he", "run"], None),
        (["--version"], None),
        (["nonsense", "run"], None),
        ([], None),
    ],
)
def test_named_command_finds_the_subcommand_or_asks_for_all(argv: list[str], expected: str | None) -> None:
    assert cli.named_command(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--no-git", "--heartbeat", "0", "--", "python", "-c", "pass"],
        ["-v", "--store", "sqlite:///x.db", "list", "--limit", "3", "--json", "--store-arg", "timeout=5"],
        ["show", "some-id", "-v"],
    ],
)
def test_the_named_parser_parses_as_the_full_parser(argv: list[str]) -> None:
    full = vars(cli.build_parser("prog").parse_args(argv))
    named = vars(cli.build_parser("prog", only=cli.named_command(argv)).parse_args(argv))
    assert named == full


def test_run_imports_no_other_command_module() -> None:
    commands = {m for m in imported_by_parse("run", "--", "true") if m.startswith("session_core.commands.")}
    assert commands == {"session_core.commands.run"}


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(["-h", "run"], prog="prog")
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in cli.COMMANDS)


def test_an_unknown_command_is_refused_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(["nonsense"], prog="prog")
    assert stopped.value.code == 2
    assert "list" in capsys.readouterr().err


RECORD_AND_SHOW_IMPORTS = (
    "import atexit, json, runpy, sys; out = sys.argv[1]; "
    "atexit.register(lambda: open(out, 'w').write(json.dumps(sorted(sys.modules)))); "
    "sys.argv = ['session_core', *sys.argv[2:]]; runpy.run_module('session_core', run_name='__main__')"
)


def test_a_recorded_run_does_not_import_modules_it_never_uses(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    shown = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RECORD_AND_SHOW_IMPORTS, str(shown), "run", "--", sys.executable, "-c", "pass"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(shown.read_text()))
    assert "session_core.stores.sqlite" in modules  # the run was recorded in the default store
    unused = {"socket", "secrets", "shutil", "session_core.history", "session_core.commands.list"}
    assert not unused & modules
