"""pytest plugin: moto's real S3 server on 127.0.0.1, started once per test run.

Fixtures:
    s3_server: the running server (``endpoint_url`` and ``requests``, a log of every HTTP request
        it received, so tests can count what a store sends).
    s3_storage_options: fsspec/s3fs options pointing at the server with fake credentials.
    s3_bucket: a fresh, empty bucket for one test.

The request log is a WSGI middleware around moto's application: it records method, bucket, key
and query of each request before moto handles it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

FAKE_KEY = "testing-key-id"
FAKE_SECRET = "testing-secret-do-not-leak"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Request:
    """One HTTP request as the server saw it (path-style addressing: /bucket/key)."""

    method: str
    bucket: str
    key: str
    query: str


@dataclass
class RequestLog:
    """A thread-safe record of the requests the server received."""

    _entries: list[S3Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: S3Request) -> None:
        with self._lock:
            self._entries.append(request)

    def for_bucket(self, bucket: str) -> list[S3Request]:
        """Every request to ``bucket`` so far, in arrival order."""
        with self._lock:
            return [entry for entry in self._entries if entry.bucket == bucket]


class CountingApp:
    """WSGI middleware that logs each request, then hands it to the wrapped app."""

    def __init__(self, app: Callable[..., Iterable[bytes]], log: RequestLog) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        bucket, _, key = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        self.log.add(S3Request(environ["REQUEST_METHOD"], bucket, key, environ.get("QUERY_STRING", "")))
        return self.app(environ, start_response)


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    requests: RequestLog


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's ThreadedMotoServer on a free loopback port, for the whole run."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install 'session-core[test]')")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    log = RequestLog()
    # moto keeps its werkzeug server private; its WSGI app is looked up per request, so wrapping
    # it here makes every later request pass through the counter.
    wsgi_server = server._server
    wsgi_server.app = CountingApp(wsgi_server.app, log)
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}", log)
    finally:
        server.stop()


@pytest.fixture
def s3_storage_options(s3_server: S3Server) -> dict[str, Any]:
    """s3fs options for the test server: endpoint, fake credentials, fixed region."""
    return {
        "endpoint_url": s3_server.endpoint_url,
        "key": FAKE_KEY,
        "secret": FAKE_SECRET,
        "client_kwargs": {"region_name": REGION},
    }


@pytest.fixture
def s3_bucket(s3_storage_options: dict[str, Any]) -> str:
    """The name of a new empty bucket on the test server."""
    import s3fs

    name = f"test-{uuid.uuid4().hex[:20]}"
    s3fs.S3FileSystem(**s3_storage_options).call_s3("create_bucket", Bucket=name)
    return name
