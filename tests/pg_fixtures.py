"""pytest plugin: one real PostgreSQL server per test session (see :mod:`tests.pg_server`).

Fixtures:
    pg_server: the running :class:`~tests.pg_server.PostgresServer` (stopped at session end,
        also when tests failed).
    pg_url: a URL of the trusted test role with a fresh schema, so each test starts empty.

Without the server binaries the PostgreSQL tests skip with a reason saying how to get them;
when the environment variable ``CI`` is set they fail instead: CI must never skip them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.pg_server import PostgresServer, Unavailable


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: pip install 'session-core[postgres]'")
    try:
        server = PostgresServer()
    except Unavailable as exc:
        _unavailable(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    return pg_server.url(schema=f"t_{uuid.uuid4().hex[:16]}")
