"""Format versions: an older store is upgraded only on request, after a backup; a newer one is refused.

SQLite "format 0" is the layout this store grew from: kedro-viz's ``runs(id, blob)`` table with
no ``session_core_meta``. The fixture builds it with the DDL kedro-viz's models produced.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from session_core import cli
from session_core.errors import FormatVersionError, StoreError
from session_core.migrate.upgrade import upgrade_store
from session_core.registry import StoreSpec
from session_core.store import FormatUpgrade, SessionStore
from session_core.stores.sqlite import SQLiteStore
from tests.test_migrate import file_digest, fill_sqlite, run_migrate, url
from tests.test_migrate_legacy import kedro_id, kedro_viz_blob, make_kedro_viz_db


def runs_rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, blob FROM runs ORDER BY id").fetchall()
    conn.close()
    return rows


@pytest.fixture
def format0(tmp_path: Path) -> Path:
    return make_kedro_viz_db(tmp_path / "sessions.db", 25)


def test_opening_a_format0_store_is_refused_and_leaves_it_untouched(format0: Path):
    before = file_digest(format0)
    with pytest.raises(FormatVersionError) as info:
        SQLiteStore(format0)
    assert (info.value.found, info.value.supported) == (0, SQLiteStore.FORMAT_VERSION)
    assert file_digest(format0) == before


def test_migrating_from_a_format0_store_says_to_upgrade(format0: Path, tmp_path: Path, capsys):
    code, _, err = run_migrate(url("sqlite", format0), url("sqlite", tmp_path / "dst.db"), capsys=capsys)
    assert code == 1 and "--upgrade" in err


def test_upgrade_keeps_a_backup_and_converts_every_session(format0: Path, capsys):
    original = runs_rows(format0)
    code = cli.main(["migrate", "--upgrade", url("sqlite", format0), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (result["from_version"], result["to_version"], result["sessions"], result["failed"]) == (0, 1, 25, 0)
    assert runs_rows(Path(result["backup"])) == original
    with SQLiteStore(format0) as store:
        assert store.format_version() == SQLiteStore.FORMAT_VERSION
        assert store.load(kedro_id(3)) == json.loads(kedro_viz_blob(3))
        assert len(list(store.session_ids())) == 25


def test_upgrading_twice_is_a_no_op_without_a_new_backup(format0: Path):
    spec = StoreSpec("session_core.stores.sqlite:SQLiteStore", str(format0))
    first = upgrade_store(spec)
    second = upgrade_store(spec)
    assert first.backup is not None and second.backup is None
    assert (second.from_version, second.to_version) == (1, 1)
    assert len(list(format0.parent.glob("*backup*"))) == 1


def test_a_bad_row_is_reported_and_stays_in_the_backup(format0: Path):
    with sqlite3.connect(format0) as conn:
        conn.execute("UPDATE runs SET blob = '{broken' WHERE id = ?", (kedro_id(5),))
    conn.close()
    result = upgrade_store(StoreSpec("session_core.stores.sqlite:SQLiteStore", str(format0)))
    assert [session_id for session_id, _ in result.failures] == [kedro_id(5)]
    assert result.sessions == 24
    with sqlite3.connect(result.backup) as conn:
        assert conn.execute("SELECT blob FROM runs WHERE id = ?", (kedro_id(5),)).fetchone() == ("{broken",)
    conn.close()


def test_a_store_from_a_newer_version_is_refused_by_open_and_by_upgrade(tmp_path: Path, capsys):
    db = fill_sqlite(tmp_path / "new.db", 3)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE session_core_meta SET value = '2' WHERE key = 'format_version'")
    conn.close()
    before = file_digest(db)
    with pytest.raises(FormatVersionError) as info:
        SQLiteStore(db)
    assert (info.value.found, info.value.supported) == (2, 1)
    code = cli.main(["migrate", "--upgrade", url("sqlite", db)])
    assert code == 1
    assert not list(tmp_path.glob("*backup*"))
    assert file_digest(db) == before


class FolderStore(SessionStore):
    """A minimal third-party store in format 2 that upgrades its own format 1 (a ``format``
    file in its folder): the dispatch knows no backend, only the hooks."""

    FORMAT_VERSION = 2
    UPGRADABLE_FROM = frozenset({1})

    def _setup(self, path: Any, fail_backup: bool = False) -> None:
        self._folder = Path(path)

    def _stored_format_version(self) -> int | None:
        return int((self._folder / "format").read_text())

    def _get(self, session_id: str) -> None:
        return None

    @classmethod
    def backup_for_upgrade(cls, path: Any, found: int, location: str, fail_backup: bool = False) -> Path:
        if fail_backup:
            raise StoreError(location, "backup", "disk full")
        backup = Path(f"{path}.backup")
        shutil.copytree(path, backup)
        return backup

    @classmethod
    def upgrade_format(cls, path: Any, found: int, location: str, fail_backup: bool = False) -> FormatUpgrade:
        (Path(path) / "format").write_text(str(cls.FORMAT_VERSION))
        return FormatUpgrade(0, [])


@pytest.fixture
def format1_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "format").write_text("1")
    return folder


def test_a_backend_upgrades_its_own_format_after_its_backup(format1_folder: Path):
    result = upgrade_store(StoreSpec(f"{__name__}:FolderStore", str(format1_folder)))
    assert (result.from_version, result.to_version) == (1, 2)
    assert (result.backup / "format").read_text() == "1"
    assert (format1_folder / "format").read_text() == "2"


def test_no_upgrade_runs_when_the_backup_fails(format1_folder: Path):
    with pytest.raises(StoreError):
        upgrade_store(StoreSpec(f"{__name__}:FolderStore", str(format1_folder), {"fail_backup": True}))
    assert (format1_folder / "format").read_text() == "1"


class NoUpgradesStore(FolderStore):
    UPGRADABLE_FROM = frozenset()


def test_a_store_class_without_upgrades_refuses_its_old_format_and_backs_nothing_up(format1_folder: Path):
    with pytest.raises(FormatVersionError) as info:
        upgrade_store(StoreSpec(f"{__name__}:NoUpgradesStore", str(format1_folder)))
    assert info.value.found == 1
    assert not Path(f"{format1_folder}.backup").exists()
