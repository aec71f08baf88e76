"""Planted secrets: none may appear verbatim in a store file, a spool file, a log line or a
command's output, whichever way it came in (command line, env, params, ``update()``, an
exception's text, a store URL's credentials repeated by botocore).

Each secret is a unique token (``zqSECRETnnqz``), so finding it anywhere is a leak. The rule for
ambiguous short flags is checked too: ``-p 8080`` stays as it is (see :mod:`session_core.redact`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from session_core.session import Session

SECRETS: list[str] = []


def secret() -> str:
    """A new unique secret value, remembered in :data:`SECRETS`."""
    value = f"zqSECRET{len(SECRETS):02d}qz"
    SECRETS.append(value)
    return value


def basic(value: str) -> str:
    """A base64-looking ``Basic`` credential holding ``value`` verbatim."""
    return f"dXNlcjp{value}Q=="


# ---------------------------------------------------------------------- the planted values

ARGV = [
    f"--password={secret()}",
    "--api-token", secret(),
    "-H", f"Authorization: Bearer {secret()}",
    f"--header=Authorization: Bearer {secret()}",
    f"DATABASE_URL=postgres://u:{secret()}@h/db",
    "--db-url", f"postgresql://user:{secret()}@db.internal:5432/runs",
    f"https://deploy:{secret()}@git.example.com/repo.git",
    "--secret", secret(),
    f"DB_PASSWORD={secret()}",
    "--header", f"X-Api-Key: {secret()}",
    f"-Ddb.password={secret()}",
    f"--client-secret={secret()}",
    "--auth", secret(),
    "-H", f"Authorization: Basic {basic(secret())}",
    "--params", f"db.password={secret()},lr=0.1",
    "--cookie", secret(),
    f"--private-key={secret()}",
    "--access-key", secret(),
    f"--token={secret()}",
    f"mysql://root:{secret()}@localhost/app",
    "--passphrase", secret(),
    f"GITHUB_TOKEN={secret()}",
    "-p", "8080",  # a port: short flags are not secret names, and this one must survive
]
RUNTIME_PARAMS: dict[str, Any] = {
    "dsn": f"postgresql://u:{secret()}@h/db",
    "db_url": f"mysql://root:{secret()}@localhost/x",
    "pwd": secret(),
    "password": secret(),
    "nested": {"api_key": secret(), "lr": 0.1},
    "conn": f"host=h user=u password={secret()} dbname=d",
    "headers": {"Authorization": f"Bearer {secret()}"},
    "mirrors": [f"https://a:{secret()}@mirror.example.com/x"],
}
ENV: dict[str, Any] = {
    "TOKEN": secret(),
    "DATABASE_URL": f"postgres://u:{secret()}@h/db",
    "SECRET_KEY": secret(),
}
UPDATES: dict[str, Any] = {
    "password": secret(),
    "pwd": secret(),
    "dsn": f"postgres://u:{secret()}@h/db",
    "note": f"called with Authorization: Bearer {secret()}",
    "config": {"client_secret": secret()},
    "user_token": secret(),
    "headers": [f"Authorization: Basic {basic(secret())}"],
}
FAILURE = f"cannot reach postgres://runner:{secret()}@db.internal/runs"
S3_KEY, S3_SECRET = secret(), secret()

assert len(SECRETS) >= 40


def leaks(text: str) -> list[str]:
    return [value for value in SECRETS if value in text]


def files_text(*roots: Path) -> str:
    """Every byte under ``roots`` (SQLite files and WAL, spool JSON), decoded leniently."""
    chunks = []
    for root in roots:
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            chunks.append(file.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {**os.environ, "SESSION_CORE_SPOOL": str(tmp_path / "spool")}
    environ.pop("SESSION_CORE_STORE", None)
    return environ


def cli(tmp_path: Path, environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "session_core", "-vv", *args],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=180,
    )


def test_a_wrapped_command_line_leaves_no_secret_anywhere(tmp_path: Path, env: dict[str, str]):
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    done = cli(tmp_path, env, "run", "--store", store, "--", sys.executable, "-c", "pass", *ARGV)
    assert done.returncode == 0, done.stderr
    listed = cli(tmp_path, env, "list", "--store", store, "--json")
    record = json.loads(listed.stdout)
    shown = cli(tmp_path, env, "show", "--store", store, record["session_id"])
    output = done.stdout + done.stderr + listed.stdout + listed.stderr + shown.stdout + shown.stderr
    assert leaks(output) == []
    assert leaks(files_text(tmp_path)) == []
    args = record["cli"]["args"]
    assert args[args.index("-p") + 1] == "8080"  # the rule for short flags: kept
    assert "lr=0.1" in " ".join(args)  # what is not secret stays


def test_params_env_updates_and_an_exception_leave_no_secret_anywhere(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    session = Session.create(
        tmp_path, env=ENV, runtime_params=RUNTIME_PARAMS, store=store, git=False,
        cli=["train.py", *ARGV], spool_dir=tmp_path / "spool",
    )
    session.update(**UPDATES)

    def fail() -> None:
        raise ConnectionError(FAILURE)

    with pytest.raises(ConnectionError):
        session.run(fail)
    session.close()
    record = session.store
    assert record["status"] == "failed"
    assert leaks(json.dumps(record["exception"])) == []
    assert leaks(files_text(tmp_path)) == []
    assert leaks(caplog.text) == []
    assert record["runtime_params"]["nested"]["lr"] == 0.1
    assert "db.internal" in record["exception"]["value"]  # the host stays, the password goes


def test_s3_credentials_in_the_store_url_stay_out_of_errors_spool_and_logs(
    tmp_path: Path, env: dict[str, str], s3_storage_options: dict[str, Any], caplog
):
    """botocore repeats the bucket part of ``s3://KEY:SECRET@bucket`` bare in its error text."""
    caplog.set_level(logging.DEBUG)
    # the credentials come from the URL alone (giving them twice is a configuration error)
    options = {k: v for k, v in s3_storage_options.items() if k not in ("key", "secret")}
    url = f"s3://{S3_KEY}:{S3_SECRET}@no-such-bucket/runs"
    session = Session.create(
        tmp_path, store=url, store_args={"storage_options": options}, git=False,
        spool_dir=tmp_path / "spool",
    )
    session.close()
    assert list((tmp_path / "spool").glob("*.json")), "the record waits in the spool"
    assert leaks(files_text(tmp_path)) == []
    ours = [r for r in caplog.records if r.name.startswith("session_core")]
    assert ours and leaks("\n".join(caplog.handler.format(r) for r in ours)) == []
    done = cli(tmp_path, env, "list", "--store", url, "--store-arg", f"storage_options={json.dumps(options)}")
    assert done.returncode != 0
    assert leaks(done.stdout + done.stderr) == []
