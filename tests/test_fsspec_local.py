"""A JSON folder on a local path opens without fsspec, at the root fsspec would give it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from session_core.stores._fsspec import LOCAL, local_root, open_filesystem

PATHS = ["rel/x", "/abs/y/", "file:///abs/z", "~/q", "./a/../b", "file:///", "a//b/", ".", "./c"]


@pytest.mark.parametrize("url", PATHS)
def test_a_local_path_gets_the_root_fsspec_gives_it(url: str, tmp_path, monkeypatch) -> None:
    import fsspec.core

    monkeypatch.chdir(tmp_path)
    fs, root = fsspec.core.url_to_fs(url)
    assert local_root(url, {}) == (root.rstrip("/") or root)
    assert open_filesystem(url, {})[0] is LOCAL


@pytest.mark.parametrize(("url", "options"), [("memory://x", {}), ("s3://b/p", {}), ("file://host/p", {}),
                                              ("/abs", {"auto_mkdir": True}), ("simplecache::file:///a", {})])
def test_other_urls_and_options_are_left_to_fsspec(url: str, options: dict) -> None:
    assert local_root(url, options) is None


def test_a_json_folder_run_and_list_import_no_fsspec(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    store = f"file://{tmp_path / 'runs'}"
    script = (
        "import json, runpy, sys; args = sys.argv[1:]; sys.argv = ['session_core', *args]\n"
        "try:\n    runpy.run_module('session_core', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    print(json.dumps([stop.code, sorted(m for m in sys.modules if m.startswith('fsspec'))]), file=sys.stderr)\n"
    )
    for argv in (["--store", store, "run", "--", sys.executable, "-c", "pass"], ["--store", store, "list", "--json"]):
        done = subprocess.run([sys.executable, "-c", script, *argv], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        code, fsspec_modules = json.loads(done.stderr.strip().splitlines()[-1])
        assert (code, fsspec_modules) == (0, []), done.stderr
    listed = subprocess.run([sys.executable, "-m", "session_core", "--store", store, "list", "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(listed.stdout)["status"] == "completed"
