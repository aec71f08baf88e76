"""S3 through s3fs against moto's real HTTP server on loopback.

A tiny bench-local starter runs moto's ``ThreadedMotoServer`` on a free port of 127.0.0.1 and
wraps its WSGI application with a counter, so every HTTP request the store sends is counted by
the server that received it. Figures:

* requests per save and per load (target: exactly 1), averaged over several sessions;
* batch write: ``write_many`` beside raw ``s3fs`` ``pipe({path: bytes})`` against the same
  server (target >= 0.6 of raw);
* load all: ``iter_records`` beside raw ``ls`` + ``cat(paths)`` + ``json.loads`` (>= 0.6).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .backends import builtin_spec
from .core import Figure, Target, timed
from .records import sample_records
from .settings import Settings

RATE = Target("ratio", ">=", 0.6)
ONE = Target("value", "==", 1.0)
SAMPLES = 20


def unavailable() -> str | None:
    """Why this suite cannot run here, or ``None``."""
    try:
        import moto.server  # noqa: F401
        import s3fs  # noqa: F401
    except ImportError as exc:
        return f"needs moto[server] and s3fs ({exc}); pip install 'session-core[s3,test]'"
    return None


class RequestCounter:
    """WSGI middleware counting the requests that reach moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.count += 1
        return self.app(environ, start_response)


@contextmanager
def moto_server() -> Iterator[tuple[str, RequestCounter]]:
    """``(endpoint_url, counter)`` of a moto S3 server on a free loopback port."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    counter = RequestCounter(server._server.app)  # moto keeps its werkzeug server private
    server._server.app = counter
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}", counter
    finally:
        server.stop()


def run(settings: Settings, backends: list, workdir: Path) -> list[Figure]:
    import s3fs

    with moto_server() as (endpoint, counter):
        options = {"endpoint_url": endpoint, "key": "bench", "secret": "bench",
                   "client_kwargs": {"region_name": "us-east-1"}}
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        raw = s3fs.S3FileSystem(**options, skip_instance_cache=True)
        raw.call_s3("create_bucket", Bucket=bucket)
        spec = builtin_spec("json", f"s3://{bucket}/store")
        spec = type(spec)(spec.class_path, spec.path, {"storage_options": options}, spec.extra)
        records = sample_records(settings.s3_sessions)
        with spec.open() as store:
            before = counter.count
            for session_id, record in records[:SAMPLES]:
                store.write(session_id, record)
            per_save = (counter.count - before) / SAMPLES
            before = counter.count
            for session_id, _ in records[:SAMPLES]:
                store.load(session_id)
            per_load = (counter.count - before) / SAMPLES
            batch = records[SAMPLES:]
            write_s, _ = timed(lambda: store.write_many(batch))
            load_s, loaded = timed(lambda: sum(1 for _ in store.iter_records()))
        prefix = f"{bucket}/raw"
        payload = {f"{prefix}/{sid}": json.dumps(rec).encode() for sid, rec in batch}
        raw_write_s, _ = timed(lambda: raw.pipe(payload))

        def raw_load() -> int:
            paths = raw.ls(prefix, detail=False, refresh=True)
            return sum(1 for data in raw.cat(paths).values() if json.loads(data) is not None)

        raw_load_s, raw_loaded = timed(raw_load)
    if loaded != len(records) or raw_loaded != len(batch):
        raise AssertionError(f"S3: loaded {loaded} of {len(records)}, raw {raw_loaded} of {len(batch)}")
    n = len(batch)
    return [
        Figure("s3", "requests per save", per_save, 1, "requests", ONE, note="PUT only"),
        Figure("s3", "requests per load", per_load, 1, "requests", ONE, note="GET only"),
        Figure("s3", "batch write", n / write_s, n / raw_write_s, "rec/s", RATE, n,
               note="write_many beside s3fs pipe() of the same records"),
        Figure("s3", "load all", loaded / load_s, raw_loaded / raw_load_s, "rec/s", RATE, n,
               note="iter_records beside s3fs ls + cat + json.loads"),
    ]
