"""A kedro-viz database with odd blobs and ids: every per-row fault is counted for that row, the
rest migrates or upgrades, never a traceback; refused ids travel only with ``--legacy-ids map``.

Rows: blobs that are invalid, huge (over the record limit) and nested 100,000 deep (plain and in
kedro-viz's double encoding), and ids with ``/``, quotes and NUL.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from session_core.ids import legacy_id_to_safe, validate_session_id
from session_core.stores.sqlite import SQLiteStore
from session_core.values import DEFAULT_MAX_RECORD_BYTES
from tests.test_migrate import file_digest, run_migrate, url
from tests.test_migrate_legacy import kedro_id, kedro_viz_blob, make_kedro_viz_db

GOOD = 20
DEEP = "[" * 100_000 + "]" * 100_000
BAD_BLOBS = {
    "2030-01-01T00.00.00.001Z": "{broken",
    "2030-01-01T00.00.00.002Z": b"\x00\xffbinary",
    "2030-01-01T00.00.00.003Z": json.dumps({"blob": "x" * DEFAULT_MAX_RECORD_BYTES}),
    "2030-01-01T00.00.00.004Z": '{"deep": ' + DEEP + "}",
    "2030-01-01T00.00.00.005Z": json.dumps('{"deep": ' + DEEP + "}"),  # kedro-viz's double encoding
    "2030-01-01T00.00.00.006Z": None,
}
ODD_IDS = ["runs/2030-01-02", 'say "hi"', "nul\x00inside"]


@pytest.fixture
def viz_db(tmp_path: Path) -> Path:
    db = make_kedro_viz_db(tmp_path / "session_store.db", GOOD)
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany("INSERT INTO runs (id, blob) VALUES (?, ?)", BAD_BLOBS.items())
        conn.executemany("INSERT INTO runs (id, blob) VALUES (?, ?)",
                         ((odd, kedro_viz_blob(i)) for i, odd in enumerate(ODD_IDS)))
    conn.close()
    return db


def test_migrate_counts_each_bad_row_and_copies_the_rest(viz_db: Path, tmp_path: Path, capsys):
    before = file_digest(viz_db)
    dst = tmp_path / "dst.db"
    code, summary, err = run_migrate(url("kedro-viz", viz_db), url("sqlite", dst), capsys=capsys)
    assert code == 3
    assert (summary["copied"], summary["failed"], summary["stopped"]) == (GOOD, len(BAD_BLOBS) + len(ODD_IDS), None)
    for session_id in [*BAD_BLOBS, *ODD_IDS]:
        assert repr(session_id) in err or f"session {session_id}:" in err
    assert "Traceback" not in err
    with SQLiteStore(dst) as store:
        assert list(store.session_ids()) == [kedro_id(i) for i in range(GOOD)]
    assert file_digest(viz_db) == before


def test_legacy_ids_map_carries_refused_ids_over_keeping_the_original(viz_db: Path, tmp_path: Path, capsys):
    dst = tmp_path / "dst.db"
    code, summary, _ = run_migrate(url("kedro-viz", viz_db), url("sqlite", dst), "--legacy-ids", "map", capsys=capsys)
    assert code == 3  # the bad blobs still fail; the odd ids do not
    assert (summary["copied"], summary["failed"]) == (GOOD + len(ODD_IDS), len(BAD_BLOBS))
    with SQLiteStore(dst) as store:
        for odd in ODD_IDS:
            record = store.load(legacy_id_to_safe(odd))
            assert (record["legacy_id"], record["session_id"]) == (odd, legacy_id_to_safe(odd))
    again, summary, _ = run_migrate(url("kedro-viz", viz_db), url("sqlite", dst), "--legacy-ids", "map", capsys=capsys)
    assert (summary["copied"], summary["already_present"]) == (0, GOOD + len(ODD_IDS))  # mapping is stable


def test_mapped_ids_are_valid_distinct_and_stable():
    odd = [*ODD_IDS, "a/b", "a_b", "..", "-lead", "x" * 300, "a\\b"]
    mapped = [legacy_id_to_safe(i) for i in odd]
    assert [validate_session_id(m) for m in mapped] == mapped
    assert len(set(mapped)) == len(odd)
    assert mapped == [legacy_id_to_safe(i) for i in odd]


def test_strict_migrate_stops_at_the_first_bad_row(viz_db: Path, tmp_path: Path, capsys):
    code, summary, _ = run_migrate(url("kedro-viz", viz_db), url("sqlite", tmp_path / "dst.db"), "--strict", capsys=capsys)
    assert code == 3
    assert summary["failed"] == 1 and summary["stopped_at"] == min([*BAD_BLOBS, *ODD_IDS])


def test_upgrade_carries_the_good_rows_and_reports_the_others_kept_in_the_backup(viz_db: Path, capsys):
    code, summary, err = run_migrate("--upgrade", url("sqlite", viz_db), capsys=capsys)
    assert code == 3
    assert (summary["sessions"], summary["failed"]) == (GOOD, len(BAD_BLOBS) + len(ODD_IDS))
    assert "Traceback" not in err
    with SQLiteStore(viz_db) as store:
        assert list(store.session_ids()) == [kedro_id(i) for i in range(GOOD)]
    with sqlite3.connect(summary["backup"]) as conn:
        kept = {row[0] for row in conn.execute("SELECT id FROM runs")}
    conn.close()
    assert kept.issuperset([*BAD_BLOBS, *ODD_IDS])


def test_upgrade_with_legacy_ids_map_carries_the_odd_ids(viz_db: Path, capsys):
    code, summary, _ = run_migrate("--upgrade", url("sqlite", viz_db), "--legacy-ids", "map", capsys=capsys)
    assert code == 3
    assert (summary["sessions"], summary["failed"]) == (GOOD + len(ODD_IDS), len(BAD_BLOBS))
    with SQLiteStore(viz_db) as store:
        assert store.load(legacy_id_to_safe(ODD_IDS[0]))["legacy_id"] == ODD_IDS[0]
