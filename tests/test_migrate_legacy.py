"""Legacy sources: Kedro ShelveStore folders and kedro-viz databases, built in their real formats.

The shelves are made the way Kedro 0.17-0.19.8's ``ShelveStore.save`` made them:
``shelve.open(str(<path>/<session_id>/"store"))`` holding one key per record key, values pickled
(``project_path`` a ``pathlib`` path, click params with tuples). The kedro-viz database has the
tables SQLAlchemy created from kedro-viz's models, and blobs encoded the way kedro-viz's
``SQLiteStore.save`` wrote them (``to_json()`` text put into a JSON column: JSON inside JSON).
"""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import shelve
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from session_core.errors import CorruptRecord, UnsafeRecord
from session_core.migrate import migrate
from session_core.migrate.kedro_shelve import KedroShelveReader
from session_core.migrate.kedro_viz import KedroVizReader
from session_core.stores.sqlite import SQLiteStore
from tests.test_migrate import file_digest, run_migrate, url

# What SQLAlchemy emitted for kedro-viz's RunModel and UserRunDetailsModel (SQLite dialect).
KEDRO_VIZ_DDL = """
CREATE TABLE runs (
    id VARCHAR NOT NULL,
    blob JSON,
    PRIMARY KEY (id)
);
CREATE INDEX ix_runs_id ON runs (id);
CREATE TABLE user_run_details (
    id INTEGER NOT NULL,
    run_id VARCHAR,
    bookmark BOOLEAN,
    title VARCHAR,
    notes VARCHAR,
    PRIMARY KEY (id),
    UNIQUE (run_id),
    FOREIGN KEY(run_id) REFERENCES runs (id)
);
CREATE INDEX ix_user_run_details_id ON user_run_details (id);
"""


def kedro_id(i: int) -> str:
    """Kedro's session id: a millisecond UTC timestamp with dots (one id per millisecond here)."""
    seconds, millis = divmod(i, 1000)
    minutes, seconds = divmod(seconds, 60)
    return f"2021-08-10T12.{minutes:02d}.{seconds:02d}.{millis:03d}Z"


def kedro_session_data(session_id: str, i: int) -> dict[str, Any]:
    """What KedroSession.create put into its store."""
    return {
        "package_name": "spaceflights",
        "project_path": pathlib.PurePosixPath(f"/home/ana/spaceflights-{i % 3}")
        if i % 2 else pathlib.PosixPath(f"/home/ana/spaceflights-{i % 3}"),
        "session_id": session_id,
        "git": {"commit_sha": f"{i:040x}", "dirty": bool(i % 2)},
        "cli": {
            "args": [],
            "params": {"pipeline": None, "tags": (), "node_names": ("n1", "n2"), "env": None,
                       "params": {"lr": i / 100}},
            "command_name": "run",
            "command_path": "kedro run",
        },
        "username": "ana",
    }


def kedro_expected(session_id: str, i: int) -> dict[str, Any]:
    """The portable record the migration must produce from :func:`kedro_session_data`."""
    data = kedro_session_data(session_id, i)
    data["project_path"] = str(data["project_path"])
    data["cli"]["params"]["tags"] = []
    data["cli"]["params"]["node_names"] = ["n1", "n2"]
    return data


def write_kedro_shelf(root: Path, session_id: str, data: dict[str, Any]) -> None:
    """Kedro's ShelveStore.save: one shelf per session at <root>/<session_id>/store."""
    location = root / session_id / "store"
    location.parent.mkdir(parents=True, exist_ok=True)
    with shelve.open(str(location)) as shelf:
        shelf.update(data)


def make_kedro_shelve_folder(root: Path, n: int) -> Path:
    for i in range(n):
        write_kedro_shelf(root, kedro_id(i), kedro_session_data(kedro_id(i), i))
    return root


def make_kedro_viz_db(path: Path, n: int) -> Path:
    """A kedro-viz session_store.db with ``n`` runs, one with user details."""
    conn = sqlite3.connect(path)
    conn.executescript(KEDRO_VIZ_DDL)
    with conn:
        conn.executemany(
            "INSERT INTO runs (id, blob) VALUES (?, ?)",
            ((kedro_id(i), json.dumps(kedro_viz_blob(i))) for i in range(n)),
        )
        conn.execute(
            "INSERT INTO user_run_details (run_id, bookmark, title, notes) VALUES (?, 1, ?, ?)",
            (kedro_id(0), "baseline", "the good one"),
        )
    conn.close()
    return path


def kedro_viz_blob(i: int) -> str:
    """kedro-viz's to_json(): the record as JSON text, paths as strings, git with its branch."""
    data = kedro_expected(kedro_id(i), i)
    data["git"]["branch"] = "main"
    return json.dumps(data)


class Exploit:
    """Pickles as a call of ``func(*args)``: what a crafted shelf holds."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.func, self.args


# ---------------------------------------------------------------------- Kedro shelve


def test_kedro_shelves_become_portable_records(tmp_path: Path):
    root = make_kedro_shelve_folder(tmp_path / "sessions", 5)
    with KedroShelveReader(root) as reader:
        records = dict(reader.iter_records())
    assert records == {kedro_id(i): kedro_expected(kedro_id(i), i) for i in range(5)}


def test_kedro_shelve_folder_migrates_into_sqlite_untouched(tmp_path: Path, capsys):
    root = make_kedro_shelve_folder(tmp_path / "sessions", 50)
    (root / "README.txt").write_text("not a session")
    (root / "empty-folder").mkdir()
    before = file_digest(root)
    dst = tmp_path / "dst.db"
    code, summary, _ = run_migrate(url("kedro-shelve", root), url("sqlite", dst), "--verify", capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["verified"], summary["failed"]) == (50, 50, 0)
    with SQLiteStore(dst) as d:
        assert d.load(kedro_id(7)) == kedro_expected(kedro_id(7), 7)
    assert file_digest(root) == before


def test_a_windows_path_pickled_on_windows_reads_as_its_string(tmp_path: Path):
    root = tmp_path / "sessions"
    write_kedro_shelf(root, kedro_id(0), {"project_path": pathlib.PureWindowsPath(r"C:\Users\ana\demo")})
    with KedroShelveReader(root) as reader:
        assert reader.load(kedro_id(0)) == {"project_path": r"C:\Users\ana\demo"}


@pytest.mark.parametrize(
    "payload",
    [
        lambda marker: Exploit(os.system, f"touch {marker}"),
        lambda marker: Exploit(pathlib.Path.touch, pathlib.Path(marker)),
        lambda marker: Exploit(open, str(marker), "w"),
    ],
    ids=["os.system", "dotted-name-in-allowed-module", "open"],
)
def test_a_crafted_shelf_is_refused_naming_session_and_key_and_nothing_runs(tmp_path: Path, payload: Any):
    func = payload(tmp_path / "unused").func
    refused = f"{func.__module__}.{func.__qualname__}"
    root = make_kedro_shelve_folder(tmp_path / "sessions", 3)
    marker = tmp_path / "pwned"
    evil_id = kedro_id(1)
    write_kedro_shelf(root, evil_id, {"session_id": evil_id, "git": payload(marker)})
    ran = pickle.loads(pickle.dumps(payload(tmp_path / "proof")))  # plain pickle runs the payload
    getattr(ran, "close", lambda: None)()
    assert (tmp_path / "proof").exists()
    with KedroShelveReader(root) as reader:
        with pytest.raises(UnsafeRecord) as info:
            reader.load(evil_id)
        assert (info.value.session_id, info.value.key, info.value.refused) == (evil_id, "git", refused)
        with SQLiteStore(tmp_path / "dst.db") as dst:
            report = migrate(reader, dst)
            assert (report.copied, report.failed) == (2, 1)
            assert isinstance(report.failures[0].error, UnsafeRecord)
            assert sorted(dst.session_ids()) == [kedro_id(0), kedro_id(2)]
    assert not marker.exists()


def test_a_damaged_pickle_is_a_corrupt_record_and_the_rest_migrates(tmp_path: Path, capsys):
    root = make_kedro_shelve_folder(tmp_path / "sessions", 3)
    import dbm

    with dbm.open(str(root / kedro_id(2) / "store"), "w") as db:
        db[b"git"] = pickle.dumps({"commit_sha": "x"})[:-3]
    with KedroShelveReader(root) as reader:
        with pytest.raises(CorruptRecord) as info:
            reader.load(kedro_id(2))
        assert info.value.session_id == kedro_id(2)
    code, summary, err = run_migrate(url("kedro-shelve", root), url("sqlite", tmp_path / "d.db"), capsys=capsys)
    assert code == 3  # some records failed, the others were copied
    assert (summary["copied"], summary["failed"]) == (2, 1)
    assert kedro_id(2) in err


@pytest.mark.slow
def test_ten_thousand_kedro_shelves_into_sqlite_verified(tmp_path: Path, capsys):
    n = 10_000
    root = make_kedro_shelve_folder(tmp_path / "sessions", n)
    code, summary, _ = run_migrate(url("kedro-shelve", root), url("sqlite", tmp_path / "dst.db"), "--verify",
                                   capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["verified"], summary["failed"]) == (n, n, 0)


# ---------------------------------------------------------------------- kedro-viz


def test_kedro_viz_runs_become_records_with_user_details(tmp_path: Path):
    db = make_kedro_viz_db(tmp_path / "session_store.db", 3)
    with KedroVizReader(tmp_path) as reader:  # kedro-viz was given the folder
        records = dict(reader.iter_records())
    expected = json.loads(kedro_viz_blob(1))
    assert records[kedro_id(1)] == expected
    assert records[kedro_id(0)]["kedro_viz"] == {"title": "baseline", "notes": "the good one", "bookmark": True}
    assert db.exists()


def test_kedro_viz_db_migrates_into_sqlite_untouched(tmp_path: Path, capsys):
    db = make_kedro_viz_db(tmp_path / "session_store.db", 40)
    before = file_digest(db)
    code, summary, _ = run_migrate(url("kedro-viz", db), url("sqlite", tmp_path / "dst.db"), "--verify",
                                   capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["verified"]) == (40, 40)
    assert file_digest(db) == before
    assert not Path(f"{db}-wal").exists()


def test_a_garbage_kedro_viz_blob_fails_alone(tmp_path: Path, capsys):
    db = make_kedro_viz_db(tmp_path / "session_store.db", 10)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET blob = ? WHERE id = ?", ("{not json", kedro_id(4)))
        conn.execute("UPDATE runs SET blob = ? WHERE id = ?", (json.dumps("[1, 2]"), kedro_id(6)))
    conn.close()
    code, summary, err = run_migrate(url("kedro-viz", db), url("sqlite", tmp_path / "dst.db"), capsys=capsys)
    assert code == 3  # some records failed, the others were copied
    assert (summary["copied"], summary["failed"]) == (8, 2)
    assert kedro_id(4) in err and kedro_id(6) in err


def test_a_database_without_runs_table_is_not_a_kedro_viz_store(tmp_path: Path):
    from session_core.errors import StoreError

    sqlite3.connect(tmp_path / "other.db").executescript("CREATE TABLE t (x);").close()
    with pytest.raises(StoreError) as info:
        KedroVizReader(tmp_path / "other.db")
    assert str(tmp_path / "other.db") in info.value.location


@pytest.mark.slow
def test_ten_thousand_kedro_viz_runs_into_sqlite_verified(tmp_path: Path, capsys):
    n = 10_000
    db = make_kedro_viz_db(tmp_path / "session_store.db", n)
    code, summary, _ = run_migrate(url("kedro-viz", db), url("sqlite", tmp_path / "dst.db"), "--verify",
                                   capsys=capsys)
    assert code == 0
    assert (summary["copied"], summary["verified"], summary["failed"]) == (n, n, 0)
