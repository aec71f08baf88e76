"""The session lifecycle and its record, against a real SQLite file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from session_core import Session
from session_core.errors import ConfigError, InvalidSessionId, InvalidValue, SessionError, StoreError
from session_core.redact import REDACTED
from session_core.stores.sqlite import SQLiteStore
from tests.git_repos import git


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"  # tmp_path is absolute: sqlite:////abs/runs.db


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


def stored(db_url: str, session_id: str) -> dict:
    path = db_url.removeprefix("sqlite:///")
    with SQLiteStore(path) as store:
        return store.load(session_id)


def test_the_running_record_is_written_when_the_session_starts(git_repo, db, spool):
    session = Session.create(project_path=git_repo, store=db, spool_dir=spool)
    record = stored(db, session.session_id)
    assert record["status"] == "running"
    assert record["started_at"] and record["ended_at"] is None
    session.close()


def test_a_completed_run_records_kedro_keys_and_ours(git_repo, db, spool):
    with Session.create(
        project_path=git_repo, package_name="pkg", env="local", runtime_params={"lr": 0.1},
        store=db, spool_dir=spool, cli=["kedro", "run", "--pipeline", "de"],
    ) as session:
        assert session.run(lambda x: x * 2, 21) == 42
    record = stored(db, session.session_id)
    assert record["status"] == "completed"
    assert record["session_id"] == session.session_id
    assert record["project_path"] == str(git_repo)
    assert record["package_name"] == "pkg" and record["env"] == "local"
    assert record["runtime_params"] == {"lr": 0.1}
    assert record["cli"]["command_name"] == "kedro"
    assert record["cli"]["params"] == {"pipeline": "de"}
    assert record["git"] == {"commit_sha": git(git_repo, "rev-parse", "HEAD"), "branch": "main", "dirty": False}
    assert record["duration_s"] >= 0 and record["ended_at"] >= record["started_at"]
    assert record["record_version"] == 1 and record["host"]


def test_a_second_run_raises_a_session_error(tmp_path, db, spool):
    with Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False) as session:
        session.run(lambda: None)
        with pytest.raises(SessionError):
            session.run(lambda: None)


def test_a_failed_run_is_recorded_and_may_be_retried(tmp_path, db, spool):
    def boom():
        raise ValueError("bad input")

    with Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False) as session:
        with pytest.raises(ValueError):
            session.run(boom)
        assert session.status == "failed"
        assert session.store["exception"]["type"] == "ValueError"
        session.run(lambda: None)
    record = stored(db, session.session_id)
    assert record["status"] == "completed" and record["exception"] is None


def test_an_exception_is_recorded_with_a_traceback_as_a_list_of_strings(tmp_path, db, spool):
    session = Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False)
    with pytest.raises(RuntimeError), session:
        session.run(lambda: (_ for _ in ()).throw(RuntimeError("kaput")))
    exc = stored(db, session.session_id)["exception"]
    assert exc["type"] == "RuntimeError" and exc["value"] == "kaput"
    assert isinstance(exc["traceback"], list) and all(isinstance(line, str) for line in exc["traceback"])


def test_keyboard_interrupt_is_recorded_as_interrupted(tmp_path, db, spool):
    def interrupted():
        raise KeyboardInterrupt

    session = Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False)
    with pytest.raises(KeyboardInterrupt), session:
        session.run(interrupted)
    assert stored(db, session.session_id)["status"] == "interrupted"


@pytest.mark.parametrize(("code", "status"), [(0, "completed"), (None, "completed"), (3, "failed")])
def test_sys_exit_is_recorded_by_its_code(tmp_path, db, spool, code, status):
    def exits():
        raise SystemExit(code)

    session = Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False)
    with pytest.raises(SystemExit), session:
        session.run(exits)
    record = stored(db, session.session_id)
    assert record["status"] == status
    assert record["exit_code"] == (code or 0)


def test_an_exception_inside_the_with_block_fails_the_session(tmp_path, db, spool):
    with pytest.raises(LookupError):
        with Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False) as session:
            raise LookupError("outside run")
    assert stored(db, session.session_id)["status"] == "failed"


def test_the_store_property_is_a_copy(tmp_path, db, spool):
    with Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False) as session:
        session.store["status"] = "forged"
        session.store["cli"]["args"].append("x")
        assert session.status == "running"
        assert "x" not in session.store["cli"]["args"]


def test_the_record_property_is_a_copy_of_the_record_that_is_saved(tmp_path, db, spool):
    with Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False) as session:
        session.update(accuracy=0.5)
        session.record["accuracy"] = 0.99
        assert session.record == session.store  # Kedro's name for the same copy
        assert session.record["accuracy"] == 0.5
    assert stored(db, session.session_id) == session.record


def test_a_store_option_mistake_raises_and_is_not_spooled(tmp_path, spool):
    with pytest.raises(ConfigError):
        Session.create(project_path=tmp_path, store="sqlite:///runs.db", store_args={"no_such_option": 1},
                       spool_dir=spool, git=False)
    assert not spool.exists()


def test_user_keys_join_the_record_but_cannot_forge_the_outcome(tmp_path, db, spool):
    with Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False) as session:
        session.update(accuracy=0.93, tags=("a", "b"))
        with pytest.raises(SessionError):
            session.update(status="completed")
        with pytest.raises(InvalidValue):
            session.update(when={1, 2})
    record = stored(db, session.session_id)
    assert record["accuracy"] == 0.93 and record["tags"] == ["a", "b"]


def test_secrets_in_params_env_and_command_line_are_redacted_before_saving(tmp_path, db, spool):
    with Session.create(
        project_path=tmp_path, store=db, spool_dir=spool, git=False,
        runtime_params={"db_password": "hunter2", "lr": 1}, env={"API_KEY": "k"},
        cli=["train", "--token", "t0k", "--epochs=3"],
    ) as session:
        pass
    text = str(stored(db, session.session_id))
    assert "hunter2" not in text and "t0k" not in text and "'k'" not in text
    record = stored(db, session.session_id)
    assert record["runtime_params"] == {"db_password": REDACTED, "lr": 1}
    assert record["cli"]["params"] == {"token": REDACTED, "epochs": "3"}


def test_a_caller_supplied_id_is_used_and_validated(tmp_path, db, spool):
    with Session.create(project_path=tmp_path, store=db, spool_dir=spool, git=False, session_id="nightly-42") as s:
        assert s.session_id == "nightly-42"
    assert stored(db, "nightly-42")["status"] == "completed"
    with pytest.raises(InvalidSessionId):
        Session.create(project_path=tmp_path, store=db, spool_dir=spool, session_id="../escape")


def test_save_on_close_false_persists_nothing(tmp_path, spool):
    path = tmp_path / "never.db"
    with Session.create(project_path=tmp_path, store="sqlite:///never.db", spool_dir=spool,
                        git=False, save_on_close=False) as session:
        session.run(lambda: None)
    assert not path.exists()
    assert not spool.exists()


def test_a_store_instance_may_be_given(tmp_path, spool):
    store = SQLiteStore(tmp_path / "own.db")
    with Session.create(project_path=tmp_path, store=store, spool_dir=spool, git=False) as session:
        pass
    assert store.load(session.session_id)["status"] == "completed"
    store.close()


def unwritable_url(tmp_path: Path) -> str:
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where a folder should be")
    return f"sqlite:///{blocker}/runs.db"


def test_an_unwritable_store_never_fails_the_run_and_the_record_waits_in_the_spool(tmp_path, spool, caplog):
    with caplog.at_level(logging.ERROR, logger="session_core.session"):
        with Session.create(project_path=tmp_path, store=unwritable_url(tmp_path), spool_dir=spool, git=False) as s:
            assert s.run(lambda: "ran") == "ran"
    waiting = spool / f"{s.session_id}.json"
    assert waiting.is_file()
    assert '"completed"' in waiting.read_text()
    assert any(s.session_id in r.getMessage() for r in caplog.records)


def test_strict_mode_raises_the_store_error(tmp_path, spool):
    with pytest.raises(StoreError) as info:
        Session.create(project_path=tmp_path, store=unwritable_url(tmp_path), spool_dir=spool, git=False, strict=True)
    assert "blocker" in info.value.location
    assert isinstance(info.value, OSError)
