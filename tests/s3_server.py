"""pytest plugin: moto's real S3 server on 127.0.0.1, started once per test run.

Fixtures:
    s3_server: the running server (``endpoint_url`` and ``requests``, the log of every HTTP
        request it received, so tests can count what a store sends).
    s3_storage_options: fsspec/s3fs options pointing at the server with fake credentials.
    s3_bucket: a fresh, empty bucket for one test.

The server (moto's ``ThreadedMotoServer``) runs in a process of its own, started by running this
file as a script: its allocations stay out of the tests' memory measurements, it runs beside
the tests rather than sharing their interpreter lock, and spawned test workers reach it like
any client. A WSGI middleware around moto's application appends one line per request (method,
bucket, key, query) to a log file before moto handles it, so a request is logged before its
response is sent; the fixture reads that file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

FAKE_KEY = "testing-key-id"
FAKE_SECRET = "testing-secret-do-not-leak"
REGION = "us-east-1"
#: How long the server may take to start (importing moto is most of it).
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class S3Request:
    """One HTTP request as the server saw it (path-style addressing: /bucket/key)."""

    method: str
    bucket: str
    key: str
    query: str


@dataclass(frozen=True)
class RequestLog:
    """The server's request log file, read on demand."""

    path: Path

    def for_bucket(self, bucket: str) -> list[S3Request]:
        """Every request to ``bucket`` so far, in arrival order."""
        with self.path.open(encoding="utf-8") as lines:
            requests = [S3Request(*json.loads(line)) for line in lines if line.endswith("\n")]
        return [request for request in requests if request.bucket == bucket]


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    requests: RequestLog


class CountingApp:
    """WSGI middleware (in the server process) that logs each request, then hands it on."""

    def __init__(self, app: Callable[..., Iterable[bytes]], log: IO[str]) -> None:
        self.app = app
        self.log = log
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        bucket, _, key = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        line = json.dumps([environ["REQUEST_METHOD"], bucket, key, environ.get("QUERY_STRING", "")])
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()
        return self.app(environ, start_response)


def serve(log_path: str) -> None:
    """Run moto's server on a free loopback port until standard input closes; print the port."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access-log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    with open(log_path, "a", encoding="utf-8") as log:
        # moto keeps its werkzeug server private; the server looks its WSGI app up per request,
        # so wrapping it here puts every later request through the counter.
        wsgi_server = server._server
        wsgi_server.app = CountingApp(wsgi_server.app, log)
        host, port = server.get_host_and_port()
        print(f"{host} {port}", flush=True)
        sys.stdin.read()
        server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, in its own process, for the whole run."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install 'session-core[test]')")
    log_path = tmp_path_factory.mktemp("s3-server") / "requests.jsonl"
    log_path.touch()
    child = subprocess.Popen(
        [sys.executable, __file__, str(log_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        ready = _read_line(child.stdout, START_TIMEOUT_S)
        if not ready:
            pytest.fail(f"moto's S3 server did not start (exit code {child.poll()})", pytrace=False)
        host, port = ready.split()
        yield S3Server(f"http://{host}:{port}", RequestLog(log_path))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _read_line(stream: IO[str], timeout: float) -> str:
    """The next line of ``stream``, or ``""`` if none comes within ``timeout`` seconds."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


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


if __name__ == "__main__":
    serve(sys.argv[1])
