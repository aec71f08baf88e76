"""``migrate``: every session copied once, safely re-runnable, conflicts and bad input reported.

These tests use real SQLite files on both ends; the other backends, legacy sources, format
upgrades and the kill -9 restart have their own test_migrate_* modules, which reuse the helpers
defined here.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from session_core import cli
from session_core.errors import ConfigError, RecordConflict, StoreNotFound, VerifyMismatch
from session_core.ids import new_session_id
from session_core.migrate import MigrationOptions, migrate
from session_core.migrate.endpoints import parse_endpoint
from session_core.values import content_hash
from session_core.stores.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------- helpers (shared)


def make_record(session_id: str, i: int) -> dict[str, Any]:
    """A run record shaped like the session core's, with content that differs per session."""
    return {
        "session_id": session_id,
        "package_name": "demo",
        "project_path": f"/projects/demo-{i % 7}",
        "username": "ana",
        "cli": {"args": [], "params": {"lr": 0.1 * (i % 5), "tags": ["a", "b"]}, "command_name": "run",
                "command_path": "kedro run"},
        "git": {"commit_sha": hashlib.sha1(str(i).encode()).hexdigest(), "branch": "main", "dirty": i % 2 == 0},
        "status": "completed",
        "duration_s": i / 10,
        "note": "ünïcode ✓",
        "big_int": 2**70 + i,
    }


def make_records(n: int) -> Iterator[tuple[str, dict[str, Any]]]:
    for i in range(n):
        session_id = new_session_id()
        yield session_id, make_record(session_id, i)


def fill_sqlite(path: Path, n: int) -> Path:
    with SQLiteStore(path) as store:
        store.write_many(make_records(n))
    return path


def file_digest(*paths: Path) -> str:
    """A digest of the bytes of files (or of every file under folders), to prove "untouched"."""
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def all_records(store: Any) -> dict[str, str]:
    """id -> content hash of every record in a store."""
    return {session_id: content_hash(record) for session_id, record in store.iter_records()}


def run_migrate(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    """Run the CLI in this process with --json; return (exit code, summary, stderr)."""
    code = cli.main(["migrate", *argv, "--json", "--progress", "lines"])
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {}), err


def run_migrate_process(*argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``python -m session_core migrate`` in a real process (stdout is not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "session_core", "migrate", *argv],
        capture_output=True, text=True, cwd=kwargs.pop("cwd", REPO), timeout=kwargs.pop("timeout", 120),
        **kwargs,
    )


def url(kind: str, path: Path) -> str:
    """An absolute-path store URL (``sqlite:////abs/path``)."""
    return f"{kind}:///{path}"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return fill_sqlite(tmp_path / "src.db", 300)


# ---------------------------------------------------------------------- copying


def test_every_session_arrives_with_equal_content_and_src_is_untouched(src: Path, tmp_path: Path, capsys):
    before = file_digest(src)
    code, summary, _ = run_migrate(url("sqlite", src), url("sqlite", tmp_path / "dst.db"), "--verify", capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["failed"], summary["verified"]) == (300, 0, 300)
    with SQLiteStore(src) as s, SQLiteStore(tmp_path / "dst.db") as d:
        assert all_records(d) == all_records(s)
    assert file_digest(src) == before


def test_second_run_reports_all_present_and_writes_nothing(src: Path, tmp_path: Path, capsys):
    dst = tmp_path / "dst.db"
    run_migrate(url("sqlite", src), url("sqlite", dst), capsys=capsys)
    before = file_digest(dst)
    code, summary, _ = run_migrate(url("sqlite", src), url("sqlite", dst), capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["already_present"], summary["conflicts"]) == (0, 300, 0)
    assert file_digest(dst) == before


def test_partly_filled_destination_gets_only_the_missing_sessions(src: Path, tmp_path: Path, capsys):
    dst = tmp_path / "dst.db"
    with SQLiteStore(src) as s, SQLiteStore(dst) as d:
        d.write_many(record for i, record in enumerate(s.iter_records()) if i % 3 == 0)
    code, summary, _ = run_migrate(url("sqlite", src), url("sqlite", dst), capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["already_present"]) == (200, 100)


def test_destination_is_read_as_one_stream_not_record_by_record(src: Path, tmp_path: Path):
    """Presence, conflicts and --verify come from merging sorted streams: no per-record reads."""
    with SQLiteStore(src) as s, CountingSQLiteStore(tmp_path / "dst.db") as d:
        d.write_many(record for i, record in enumerate(s.iter_records()) if i < 10)
        report = migrate(s, d, MigrationOptions(verify=True))
        assert (report.copied, report.already_present, report.verified) == (290, 10, 290)
        assert d.reads == 0


class CountingSQLiteStore(SQLiteStore):
    """A real SQLite store that counts single-record reads."""

    reads = 0

    def _get(self, session_id: str) -> str | None:
        self.reads += 1
        return super()._get(session_id)


# ---------------------------------------------------------------------- conflicts


@pytest.fixture
def conflicting(src: Path, tmp_path: Path) -> tuple[Path, str, dict[str, Any]]:
    """A destination holding other content under the source's 10th id."""
    dst = tmp_path / "dst.db"
    with SQLiteStore(src) as s, SQLiteStore(dst) as d:
        session_id = list(s.session_ids())[10]
        theirs = {"session_id": session_id, "status": "failed", "written_by": "someone else"}
        d.write(session_id, theirs)
    return dst, session_id, theirs


def test_conflict_is_reported_and_skipped_by_default(src, conflicting, capsys):
    dst, session_id, theirs = conflicting
    code, summary, err = run_migrate(url("sqlite", src), url("sqlite", dst), capsys=capsys)
    assert code == 0  # a skipped conflict is not a failure
    assert (summary["copied"], summary["conflicts"], summary["overwritten"]) == (299, 1, 0)
    assert session_id in err
    with SQLiteStore(dst) as d:
        assert d.load(session_id) == theirs


def test_conflict_overwrite_replaces_the_destination_record(src, conflicting, capsys):
    dst, session_id, _ = conflicting
    code, summary, _ = run_migrate(url("sqlite", src), url("sqlite", dst), "--on-conflict", "overwrite",
                                   "--verify", capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["conflicts"], summary["overwritten"], summary["verified"]) == (299, 1, 1, 300)
    with SQLiteStore(src) as s, SQLiteStore(dst) as d:
        assert d.load(session_id) == s.load(session_id)


def test_conflict_fail_stops_the_run_with_the_conflict(src, conflicting):
    dst, session_id, theirs = conflicting
    with SQLiteStore(src) as s, SQLiteStore(dst) as d:
        report = migrate(s, d, MigrationOptions(on_conflict="fail"))
        assert not report.ok
        assert isinstance(report.stopped, RecordConflict)
        assert report.stopped.session_id == session_id
        assert report.stopped.destination_hash == content_hash(theirs)
        assert d.load(session_id) == theirs


# ---------------------------------------------------------------------- dry run


def test_dry_run_into_a_new_location_creates_nothing(src: Path, tmp_path: Path, capsys):
    dst = tmp_path / "new" / "dst.db"
    code, summary, _ = run_migrate(url("sqlite", src), url("sqlite", dst), "--dry-run", capsys=capsys)
    assert code == 0
    assert (summary["dry_run"], summary["copied"]) == (True, 300)
    assert not (tmp_path / "new").exists()


def test_dry_run_into_an_existing_store_writes_nothing(src, conflicting, capsys):
    dst, _, _ = conflicting
    before = file_digest(dst)
    code, summary, _ = run_migrate(url("sqlite", src), url("sqlite", dst), "--dry-run", capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["conflicts"]) == (299, 1)
    assert file_digest(dst) == before


# ---------------------------------------------------------------------- bad input


def test_unknown_scheme_names_the_setting(tmp_path: Path, capsys):
    with pytest.raises(ConfigError) as info:
        parse_endpoint("nosuch:///x", None, tmp_path, "SRC", source=True)
    assert info.value.setting == "SRC"
    code, _, err = run_migrate("nosuch:///x", url("sqlite", tmp_path / "d.db"), capsys=capsys)
    assert code == 1 and "nosuch" in err


def test_legacy_scheme_is_refused_as_destination(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        parse_endpoint("kedro-viz:///x.db", None, tmp_path, "DST", source=False)
    assert info.value.setting == "DST"


def test_missing_source_is_an_error_and_is_not_created(tmp_path: Path, capsys):
    missing = tmp_path / "missing.db"
    code, _, err = run_migrate(url("sqlite", missing), url("sqlite", tmp_path / "d.db"), capsys=capsys)
    assert code == 1 and str(missing) in err
    assert not missing.exists() and not (tmp_path / "d.db").exists()


def test_missing_source_raises_store_not_found(tmp_path: Path):
    spec = parse_endpoint(url("sqlite", tmp_path / "missing.db"), None, tmp_path, "SRC", source=True)
    with pytest.raises(StoreNotFound) as info:
        spec.open(create=False)
    assert str(tmp_path / "missing.db") in info.value.location
    assert not (tmp_path / "missing.db").exists()


def test_unwritable_destination_fails_naming_it_and_src_is_untouched(src: Path, tmp_path: Path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    before = file_digest(src)
    code, _, err = run_migrate(url("sqlite", src), url("sqlite", blocker / "dst.db"), capsys=capsys)
    assert code == 1
    assert str(blocker) in err
    assert file_digest(src) == before


def test_a_corrupt_source_record_is_counted_and_the_others_still_copy(src: Path, tmp_path: Path, capsys):
    with SQLiteStore(src) as s:
        ids = list(s.session_ids())
    bad = ids[150]
    with sqlite3.connect(src) as conn:
        conn.execute("UPDATE sessions SET record = ? WHERE id = ?", ('{"truncated": ', bad))
    conn.close()
    before = file_digest(src)
    code, summary, err = run_migrate(url("sqlite", src), url("sqlite", tmp_path / "dst.db"), "--verify",
                                     capsys=capsys)
    assert code == 3  # some records failed, the others were copied
    assert (summary["copied"], summary["failed"], summary["verified"]) == (299, 1, 299)
    assert bad in err
    with SQLiteStore(tmp_path / "dst.db") as d:
        assert set(d.session_ids()) == set(ids) - {bad}
    assert file_digest(src) == before


def test_a_truncated_source_file_is_reported_and_left_as_it_was(tmp_path: Path, capsys):
    src = fill_sqlite(tmp_path / "src.db", 2000)
    with sqlite3.connect(src) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = src.stat().st_size
    with open(src, "r+b") as f:
        f.truncate(size // 2)
    before = file_digest(src)
    code, summary, err = run_migrate(url("sqlite", src), url("sqlite", tmp_path / "dst.db"), capsys=capsys)
    assert code == 1
    assert str(src) in err  # SQLite refuses the damaged file at open: nothing was copied
    assert summary == {}
    assert file_digest(src) == before


def test_help_lists_migrate_quickly_without_heavy_imports():
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys; from session_core import cli; cli.build_parser(); "
         "print(sorted(m for m in ('tqdm', 'duckdb', 'fsspec', 'session_core.migrate') if m in sys.modules))"],
        capture_output=True, text=True, cwd=REPO, env={**os.environ}, check=True,
    ).stdout
    assert out.strip() == "[]"


class LossySQLiteStore(SQLiteStore):
    """A buggy backend: it silently drops the ``note`` key of every record it writes."""

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        super()._put_many([(i, json.dumps({k: v for k, v in json.loads(t).items() if k != "note"})) for i, t in items])


def test_verify_catches_a_destination_that_does_not_give_records_back(src: Path, tmp_path: Path):
    with SQLiteStore(src) as s, LossySQLiteStore(tmp_path / "dst.db") as d:
        report = migrate(s, d, MigrationOptions(verify=True))
        assert (report.copied, report.verified, report.failed) == (300, 0, 300)
        assert not report.ok
        first = report.failures[0].error
        assert isinstance(first, VerifyMismatch) and first.found is not None and first.found != first.expected
    with SQLiteStore(src) as s, LossySQLiteStore(tmp_path / "dst.db") as d:
        assert migrate(s, d).conflicts == 300  # and a re-run sees the damage as conflicts


class FillingUpSQLiteStore(SQLiteStore):
    """A real SQLite store whose disk fills up after its first batch."""

    batches = 0

    def _put_many(self, items: list[tuple[str, str]]) -> None:
        self.batches += 1
        if self.batches > 1:
            raise sqlite3.OperationalError("database or disk is full")
        super()._put_many(items)


def test_destination_failing_mid_run_stops_it_and_a_rerun_finishes(src: Path, tmp_path: Path):
    from session_core.errors import StoreError

    before = file_digest(src)
    with SQLiteStore(src) as s, FillingUpSQLiteStore(tmp_path / "dst.db") as d:
        report = migrate(s, d, MigrationOptions(batch_size=100))
        assert isinstance(report.stopped, StoreError) and str(tmp_path / "dst.db") in report.stopped.location
        assert (report.copied, report.failed, report.ok) == (100, 100, False)
    with SQLiteStore(src) as s, SQLiteStore(tmp_path / "dst.db") as d:
        report = migrate(s, d, MigrationOptions(verify=True))
        assert (report.copied, report.already_present, report.verified) == (200, 100, 200)
    assert file_digest(src) == before
