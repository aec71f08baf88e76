"""A clean interpreter with session-core installed as a user installs it, for whole-process figures.

The development venv installs session-core in editable mode: its ``.pth`` file imports the
editable finder at every start, so there even ``python -c pass`` costs about twice a clean
interpreter's start, and start-up ratios measured there flatter the toolkit. :func:`clean_install`
builds, once per bench run, a throwaway venv from the interpreter the development venv was made
from (``sys._base_executable``, no system site-packages), and lays the packages out in its
site-packages exactly as a wheel does (``session_core`` with ``stores/`` and ``conformance/``
inside, from pyproject.toml's ``packages`` and ``package-dir``). The dependencies (duckdb,
fsspec, psycopg ...) stay where they are: the development venv's site-packages is put on the
path by a plain path line in a ``.pth`` file, which runs no code (the editable finder's own
``.pth`` in that folder is not processed, as only site-packages folders have theirs read).

Both sides of a start-up figure then run in that venv: the limit is its ``python -c pass``
(``site`` on, as every user has it), ours is its ``python -m session_core ...``.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CleanInstall:
    """A throwaway venv holding a regular (non-editable) copy of session-core.

    Attributes:
        python: its interpreter.
        site_packages: its site-packages folder (the package copy lives here).
    """

    python: Path
    site_packages: Path


def package_folders(pyproject: Path = REPO / "pyproject.toml") -> dict[str, Path]:
    """Each package of the distribution -> the repository folder it is built from."""
    setup = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]
    mapped = setup.get("package-dir", {})
    folders: dict[str, Path] = {}
    for package in setup["packages"]:
        parent, _, last = package.rpartition(".")
        if package in mapped:
            folders[package] = REPO / mapped[package]
        else:  # inside its parent's folder, or at the root of the repository
            folders[package] = (folders[parent] / last) if parent else REPO / package
    return folders


def clean_install(where: Path) -> CleanInstall:
    """Create the venv under ``where`` and install session-core into it (about a second)."""
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(where)
    python = where / "bin" / "python"
    site_packages = Path(next(where.glob("lib/python3*/site-packages")))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package, folder in package_folders().items():
        target = site_packages.joinpath(*package.split("."))
        target.mkdir(parents=True, exist_ok=True)
        for entry in folder.iterdir():  # modules and data files; subpackages come on their own
            if entry.is_file() and not entry.name.endswith(".pyc"):
                shutil.copy2(entry, target / entry.name)
            elif entry.is_dir() and entry.name == "static":
                shutil.copytree(entry, target / entry.name, ignore=ignore, dirs_exist_ok=True)
    dependencies = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (site_packages / "bench_dependencies.pth").write_text("".join(f"{path}\n" for path in dependencies))
    return CleanInstall(python, site_packages)


def base_python() -> str:
    """The interpreter the running venv was made from."""
    return getattr(sys, "_base_executable", sys.executable)
