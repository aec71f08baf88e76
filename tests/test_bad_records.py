"""One bad record never hides the others: 1,000 good sessions and 10 unreadable ones, on every
local backend, through ``list``, ``list --json``, ``show``, ``migrate`` and ``iter_records``.

The bad records are planted behind the store's back (:mod:`tests.planted`): torn text, a JSON
array, nesting beyond the limit and 100,000 deep, ints too long, NaN, empty, invalid UTF-8.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from session_core import cli
from session_core.config import parse_store
from session_core.errors import CorruptRecord
from session_core.stores.sqlite import SQLiteStore

from .planted import BAD_TEXTS, LOCAL_BACKENDS, good_record, plant, store_url

GOOD = 1000
EXIT_UNREADABLE = 3


class Mixed:
    """A store of ``GOOD`` good sessions and one planted bad session per kind of damage."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.url = store_url(kind, root)
        self.root = root
        records = [good_record(i) for i in range(GOOD)]
        self.good_ids = [record["session_id"] for record in records]
        with parse_store(self.url, None, project_path=root).open() as store:
            store.write_many((record["session_id"], record) for record in records)
        # interleaved with the good ones: s00099z-torn sorts between s00099 and s00100
        self.bad_ids = [f"s{(i + 1) * 99:05d}z-{name}" for i, name in enumerate(BAD_TEXTS)]
        for session_id, text in zip(self.bad_ids, BAD_TEXTS.values()):
            plant(kind, root, session_id, text)


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=sorted(LOCAL_BACKENDS))
def mixed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    """Built once per backend; the tests only read it (migrate writes to its own destination)."""
    return Mixed(request.param, tmp_path_factory.mktemp(request.param))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def named(err: str, session_id: str) -> int:
    """How many stderr lines name ``session_id``."""
    return sum(f"'{session_id}'" in line for line in err.splitlines())


def test_list_json_returns_every_good_record_and_names_each_bad_one_once(mixed: Mixed, capsys):
    code, out, err = run(capsys, "list", "--store", mixed.url, "--json", "--limit", "0")
    assert code == EXIT_UNREADABLE
    shown = [json.loads(line)["session_id"] for line in out.splitlines()]
    assert sorted(shown) == mixed.good_ids
    assert [named(err, session_id) for session_id in mixed.bad_ids] == [1] * len(mixed.bad_ids)


def test_list_table_shows_good_records_despite_bad_ones(mixed: Mixed, capsys):
    code, out, err = run(capsys, "list", "--store", mixed.url, "--limit", "12")
    assert code == EXIT_UNREADABLE  # the newest bad record is among the newest twelve ids
    rows = out.splitlines()[1:]
    # twelve readable sessions are shown: the bad one is named on stderr, not counted as a row
    assert [row.split()[0] for row in rows] == mixed.good_ids[::-1][:12]
    assert named(err, mixed.bad_ids[-1]) == 1


def test_list_strict_stops_at_the_first_bad_record(mixed: Mixed, capsys):
    code, out, err = run(capsys, "list", "--store", mixed.url, "--json", "--limit", "0", "--strict")
    assert code == EXIT_UNREADABLE
    newest_bad = mixed.bad_ids[-1]
    newer_good = [i for i in mixed.good_ids if i > newest_bad]
    assert [json.loads(line)["session_id"] for line in out.splitlines()] == newer_good[::-1]
    assert sum(named(err, session_id) for session_id in mixed.bad_ids) == 1


def test_show_of_a_bad_record_exits_unreadable_and_a_good_one_still_shows(mixed: Mixed, capsys):
    code, _, err = run(capsys, "show", "--store", mixed.url, mixed.bad_ids[0])
    assert code == EXIT_UNREADABLE and mixed.bad_ids[0] in err
    code, out, _ = run(capsys, "show", "--store", mixed.url, mixed.good_ids[0])
    assert code == 0 and json.loads(out)["session_id"] == mixed.good_ids[0]


def test_migrate_copies_every_good_record_and_counts_each_bad_one(mixed: Mixed, tmp_path: Path, capsys):
    dst = tmp_path / "dst.db"
    code, out, err = run(capsys, "migrate", mixed.url, f"sqlite:///{dst}", "--json", "--progress", "none")
    summary = json.loads(out.splitlines()[-1])
    assert code == EXIT_UNREADABLE
    assert (summary["copied"], summary["failed"], summary["stopped"]) == (GOOD, len(mixed.bad_ids), None)
    assert [named(err, session_id) for session_id in mixed.bad_ids] == [1] * len(mixed.bad_ids)
    with SQLiteStore(dst) as store:
        assert list(store.session_ids()) == mixed.good_ids


def test_migrate_strict_stops_at_the_first_bad_record_after_copying_those_before(mixed: Mixed, tmp_path: Path, capsys):
    dst = tmp_path / "dst.db"
    code, out, _ = run(capsys, "migrate", mixed.url, f"sqlite:///{dst}", "--json", "--progress", "none", "--strict")
    summary = json.loads(out.splitlines()[-1])
    first_bad = mixed.bad_ids[0]
    assert code == EXIT_UNREADABLE
    assert (summary["failed"], summary["stopped_at"]) == (1, first_bad)
    with SQLiteStore(dst) as store:
        assert list(store.session_ids()) == [i for i in mixed.good_ids if i < first_bad]


def test_iter_records_report_yields_the_good_and_reports_each_bad_once(mixed: Mixed):
    reported: list[tuple[str, type]] = []
    with parse_store(mixed.url, None, project_path=mixed.root).open() as store:
        got = [sid for sid, _ in store.iter_records(errors="report", on_error=lambda s, e: reported.append((s, type(e))))]
        with pytest.raises(CorruptRecord) as info:
            for _ in store.iter_records():
                pass
    assert got == mixed.good_ids
    assert sorted(s for s, _ in reported) == sorted(mixed.bad_ids)
    assert info.value.session_id == mixed.bad_ids[0]


@pytest.mark.s3
def test_on_s3_list_and_migrate_step_over_bad_objects(
    s3_server, s3_bucket: str, s3_storage_options, tmp_path: Path, capsys, monkeypatch
):
    """The same isolation on object storage: bad objects planted with s3fs beside good ones."""
    import s3fs

    from tests.s3_server import FAKE_KEY, FAKE_SECRET, REGION

    # the CLI reaches moto through the standard AWS settings, as a user's machine would
    for name, value in {"AWS_ACCESS_KEY_ID": FAKE_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
                        "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": s3_server.endpoint_url}.items():
        monkeypatch.setenv(name, value)
    url = f"s3://{s3_bucket}/runs"
    records = [good_record(i) for i in range(30)]
    good_ids = [record["session_id"] for record in records]
    with parse_store(url, {"storage_options": s3_storage_options}, project_path=tmp_path).open() as store:
        store.write_many((record["session_id"], record) for record in records)
    fs = s3fs.S3FileSystem(**s3_storage_options)
    bad_ids = [f"s{(i + 1) * 2:05d}z-{name}" for i, name in enumerate(BAD_TEXTS)]
    for session_id, text in zip(bad_ids, BAD_TEXTS.values()):
        fs.pipe(f"{s3_bucket}/runs/sessions/{session_id}", text.encode() if isinstance(text, str) else text)

    code, out, err = run(capsys, "list", "--store", url, "--json")
    assert code == EXIT_UNREADABLE
    assert sorted(json.loads(line)["session_id"] for line in out.splitlines()) == good_ids
    assert [named(err, session_id) for session_id in bad_ids] == [1] * len(bad_ids)

    dst = tmp_path / "dst.db"
    code, out, _ = run(capsys, "migrate", url, f"sqlite:///{dst}", "--json", "--progress", "none")
    summary = json.loads(out.splitlines()[-1])
    assert code == EXIT_UNREADABLE
    assert (summary["copied"], summary["failed"]) == (len(good_ids), len(bad_ids))
    with SQLiteStore(dst) as store:
        assert list(store.session_ids()) == good_ids
