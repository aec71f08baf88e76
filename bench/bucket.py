"""A team's bucket at scale: the compacted JSON store, beside the raw reads of its own segments.

Figures:

* team run (local folder): 4 writer processes, each with its own fsspec instance, write
  20,000 sessions (running, then finished; some saved again, some deleted) while a fifth
  process compacts in a loop (folding sessions and removing their objects). Then what the
  writers saved last (the truth), ``iter_records`` (what ``list`` reads) and ``query`` must
  agree: lost, duplicated and torn sessions are counted (target 0 each).
* requests (S3 on moto's server on loopback, every HTTP request counted by the server):
  ``session_ids``, ``iter_records`` and a newest-first read of a compacted store, per 1,000
  sessions (target <= 1); ``query`` reported beside them.
* sizes (local folder, the per-session files written directly by the bench, as the store
  writes them, without fsync, to keep the setup short): ``iter_records`` over the compacted
  store beside reading the same segment files raw (``json.loads`` of each line, >= 0.8x), and a
  newest-first read of every record beside the same raw read (shown);
  ``query "select status, count(*)"`` beside DuckDB reading the same segments (<= 2x); the
  ``compact`` command's throughput and peak RSS, the largest size beside a tenth of it (flat:
  <= 1.2x). Sizes: a tenth of ``--max-sessions`` and ``--max-sessions`` (100,000 by default;
  ``--max-sessions 1000000`` gives the million-session figures).
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import traceback
import uuid
from pathlib import Path
from typing import Any

from .core import Figure, Target, best_pair, timed
from .migrate import peak_rss_mib
from .records import sample_record, sample_records
from .s3 import moto_server
from .settings import Settings

ZERO = Target("value", "==", 0.0)
PER_THOUSAND = Target("value", "<=", 1.0)
ITERATE = Target("ratio", ">=", 0.8)
QUERY = Target("ratio", "<=", 2.0)
FLAT = Target("ratio", "<=", 1.2)
TEAM_WRITERS = 4
TEAM_SESSIONS = 20_000
REQUEST_SESSIONS = 10_000
STATUS_SQL = "SELECT status, count(*) AS n FROM sessions GROUP BY status ORDER BY status"


def unavailable() -> str | None:
    """Why this suite cannot run here, or ``None``."""
    try:
        import duckdb  # noqa: F401
        import moto.server  # noqa: F401
        import s3fs  # noqa: F401
    except ImportError as exc:
        return f"needs duckdb, moto[server] and s3fs ({exc}); pip install 'session-core[all,test]'"
    return None


def run(settings: Settings, backends: list, workdir: Path) -> list[Figure]:
    team = 200 if settings.quick else TEAM_SESSIONS
    requests = settings.max_sessions if settings.quick else REQUEST_SESSIONS
    large = settings.max_sessions
    sizes = sorted({max(1, large // 10), large})
    return [
        *team_run(Path(tempfile.mkdtemp(prefix="bucket-team-", dir=workdir)), team),
        *request_counts(requests),
        *size_figures(workdir, sizes, settings.repeats),
    ]


# ---------------------------------------------------------------------------- team run


def _plan(writer: int, count: int) -> list[tuple[str, str, int, str]]:
    """Writer ``writer``'s saves and deletes: each session running then finished, every 7th
    saved a third time, every 10th deleted."""
    from session_core.conformance._workers import new_session_changes

    return new_session_changes([f"t{writer}-{number:06d}" for number in range(count)], resave=(7, 5), delete=(10, 3))


def _team_record(session_id: str, version: int, status: str) -> dict[str, Any]:
    return {**sample_record(session_id, version), "status": status, "version": version}


def _team_writer(url: str, plan: list[tuple[str, str, int, str]], start: Any, done: Any, errors: Any) -> None:
    from session_core.conformance._workers import replay
    from session_core.stores.json import JSONStore

    try:
        store = JSONStore(url)  # its own fsspec instance: nothing shared with the others
        start.wait()
        replay(store, plan, _team_record)
    except BaseException:
        errors.put(traceback.format_exc())
        raise
    finally:
        done.set()


def _team_compactor(url: str, start: Any, writers_done: list[Any], rounds: Any, errors: Any) -> None:
    from session_core.stores.json import JSONStore

    try:
        start.wait()
        count = 0
        while not all(event.is_set() for event in writers_done):
            JSONStore(url).compact()
            count += 1
        rounds.put(count)
    except BaseException:
        errors.put(traceback.format_exc())
        raise


def team_run(root: Path, sessions: int) -> list[Figure]:
    """4 writers and a looping compactor on one local folder, then the three reads compared."""
    from session_core.stores.json import JSONStore

    url = str(root / "store")
    JSONStore(url).close()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(TEAM_WRITERS + 1)
    done = [context.Event() for _ in range(TEAM_WRITERS)]
    errors, rounds = context.Queue(), context.Queue()
    plans = [_plan(writer, sessions // TEAM_WRITERS) for writer in range(TEAM_WRITERS)]
    processes = [
        context.Process(target=_team_writer, args=(url, plans[writer], start, done[writer], errors))
        for writer in range(TEAM_WRITERS)
    ] + [context.Process(target=_team_compactor, args=(url, start, done, rounds, errors))]
    for process in processes:
        process.start()
    elapsed, _ = timed(lambda: [process.join() for process in processes])
    if not errors.empty() or any(process.exitcode for process in processes):
        raise AssertionError(f"team run: a process failed: {errors.get() if not errors.empty() else 'exit code'}")
    compactions = rounds.get()
    store = JSONStore(url)
    store.compact()
    truth: dict[str, Any] = {}
    for plan in plans:
        for kind, session_id, version, status in plan:
            if kind == "delete":
                truth.pop(session_id, None)
            else:
                truth[session_id] = _team_record(session_id, version, status)
    listed = list(store.iter_records())
    queried = [(session_id, json.loads(record)) for session_id, record in
               _query_rows(store, "SELECT id, record FROM sessions ORDER BY id")]
    lost = sum(len(set(truth) - {session_id for session_id, _ in read}) for read in (listed, queried))
    duplicated = sum(len(read) - len({session_id for session_id, _ in read}) for read in (listed, queried))
    torn = sum(truth.get(session_id) != record for read in (listed, queried) for session_id, record in read)
    left = sum(1 for path in (root / "store" / "sessions").iterdir() if not path.name.startswith("."))
    note = (f"{sessions:,} sessions by {TEAM_WRITERS} processes in {elapsed:.0f}s beside {compactions} "
            f"compactions (local folder); the writers' last saves, iter_records and query compared; "
            f"{left} per-session objects left after the last compaction")
    return [
        Figure("bucket/team", "lost sessions", lost, None, "sessions", ZERO, sessions, note=note),
        Figure("bucket/team", "duplicated sessions", duplicated, None, "sessions", ZERO, sessions, note=note),
        Figure("bucket/team", "torn or stale records", torn, None, "sessions", ZERO, sessions, note=note),
    ]


# ---------------------------------------------------------------------------- request counts


def request_counts(sessions: int) -> list[Figure]:
    """Requests moto receives for listing, loading and querying a compacted store."""
    from session_core.stores.json import JSONStore

    with moto_server() as (endpoint, counter):
        options = {"endpoint_url": endpoint, "key": "bench", "secret": "bench",
                   "client_kwargs": {"region_name": "us-east-1"}}
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        import s3fs

        s3fs.S3FileSystem(**options, skip_instance_cache=True).call_s3("create_bucket", Bucket=bucket)
        url = f"s3://{bucket}/runs"
        writer = JSONStore(url, storage_options=options)
        writer.write_many(sample_records(sessions))
        writer.compact()

        def count(read: Any) -> tuple[int, Any]:
            store = JSONStore(url, storage_options={**options, "skip_instance_cache": True})
            before = counter.count
            value = read(store)
            return counter.count - before, value

        listing, listed = count(lambda store: sum(1 for _ in store.session_ids()))
        loading, loaded = count(lambda store: sum(1 for _ in store.iter_records()))
        newest, paged = count(lambda store: sum(1 for _ in store.iter_matching(newest_first=True)))
        querying, rows = count(lambda store: _query_rows(store, "SELECT count(*) FROM sessions")[0][0])
    if not listed == loaded == paged == rows == sessions:
        raise AssertionError(f"requests: listed {listed}, loaded {loaded}, newest first {paged}, queried {rows} of {sessions}")
    per = 1000 / sessions
    note = f"{sessions:,} compacted sessions on moto; the store's open (1 GET) not counted"
    return [
        Figure("bucket/s3", "list: requests per 1,000 sessions", listing * per, None, "requests", PER_THOUSAND,
               sessions, note=f"{listing} requests (1 LIST, the manifest, 1 GET of each segment's ids); {note}"),
        Figure("bucket/s3", "load all: requests per 1,000 sessions", loading * per, None, "requests", PER_THOUSAND,
               sessions, note=(f"{loading} requests: 1 LIST of the objects saved since, the manifest, "
                               f"1 GET per segment of 10,000 sessions; {note}")),
        Figure("bucket/s3", "newest first: requests per 1,000 sessions", newest * per, None, "requests",
               PER_THOUSAND, sessions, note=(f"{newest} requests (what list and the run browser read): the "
                                             f"listing, the manifest, each segment's ids and each segment; {note}")),
        Figure("bucket/s3", "query: requests per 1,000 sessions", querying * per, None, "requests", None,
               sessions, note=f"{querying} requests: the listing and the manifest, then DuckDB reads the segments; {note}"),
    ]


# ---------------------------------------------------------------------------- sizes


def _fill_folder(root: Path, sessions: int) -> None:
    """A JSON store with ``sessions`` per-session files, written directly (no fsync)."""
    from session_core.stores.json import JSONStore

    JSONStore(str(root)).close()
    folder = root / "sessions"
    for number in range(sessions):
        session_id = f"s{number:08d}"
        (folder / session_id).write_text(json.dumps(sample_record(session_id, number)))


def _raw_segments(segments: list[Path]) -> int:
    """The raw limit of ``iter_records``: read each segment file and decode each line's record."""
    count = 0
    for path in segments:
        for line in path.read_bytes().splitlines():
            if json.loads(line)["record"] is not None:
                count += 1
    return count


def _raw_query(segments: list[Path]) -> list[tuple[Any, ...]]:
    """The raw limit of ``query``: DuckDB reading the same segments, no store in between."""
    import duckdb

    files = "[" + ", ".join(f"'{path}'" for path in segments) + "]"
    with duckdb.connect() as con:
        return con.execute(
            f"SELECT json_extract_string(record, '$.status') AS status, count(*) AS n FROM read_json({files}, "
            "format='newline_delimited', columns={'id': 'VARCHAR', 'record': 'JSON'}) "
            "GROUP BY status ORDER BY status"
        ).fetchall()


def _query_rows(store: Any, sql: str) -> list[tuple[Any, ...]]:
    """Every row ``query`` gives for ``sql`` on ``store``."""
    from session_core.query import run_query

    return [row for result in run_query(store, sql) for row in result.rows()]


def _query(url: str) -> list[tuple[Any, ...]]:
    from session_core.stores.json import JSONStore

    with JSONStore(url) as store:
        return _query_rows(store, STATUS_SQL)


def size_figures(workdir: Path, sizes: list[int], repeats: int) -> list[Figure]:
    from session_core.stores.json import JSONStore

    figures: list[Figure] = []
    peaks: dict[int, float] = {}
    for size in sizes:
        root = Path(tempfile.mkdtemp(prefix=f"bucket-{size}-", dir=workdir)) / "store"
        _fill_folder(root, size)
        compact_s, peaks[size] = peak_rss_mib(["-m", "session_core", "compact", f"file://{root}"], workdir)
        figures.append(Figure("bucket/local", "compact throughput", size / compact_s, None, "rec/s", None, size,
                              note="the compact command as a process (start-up included)"))
        segments = sorted((root / "segments").glob("*.ndjson"))
        store = JSONStore(str(root))
        tries = max(1, min(repeats, 3))
        ours_s, raw_s = best_pair(lambda: sum(1 for _ in store.iter_records()), lambda: _raw_segments(segments), tries)
        if sum(1 for _ in store.iter_records()) != size or _raw_segments(segments) != size:
            raise AssertionError(f"sizes: iter_records or the raw read did not return {size} records")
        figures.append(Figure("bucket/local", "iter_records, compacted", size / ours_s, size / raw_s, "rec/s",
                              ITERATE, size, note="beside json.loads of every line of the same segment files"))
        newest_s, raw_s = best_pair(lambda: sum(1 for _ in store.iter_matching(newest_first=True)),
                                    lambda: _raw_segments(segments), tries)
        if sum(1 for _ in store.iter_matching(newest_first=True)) != size:
            raise AssertionError(f"sizes: the newest-first read did not return {size} records")
        figures.append(Figure("bucket/local", "newest first, compacted", size / newest_s, size / raw_s, "rec/s",
                              None, size, note="every record highest id first (list, the run browser), beside "
                                               "json.loads of every line of the same segment files"))
        query_s, raw_query_s = best_pair(lambda: _query(str(root)), lambda: _raw_query(segments), tries)
        if _query(str(root)) != _raw_query(segments):
            raise AssertionError("sizes: query and DuckDB over the raw segments disagree")
        figures.append(Figure("bucket/local", "query status counts", query_s * 1000, raw_query_s * 1000, "ms",
                              QUERY, size, note="beside DuckDB's read_json over the same segments"))
    small, large = min(sizes), max(sizes)
    figures.append(Figure("bucket/local", "compact peak RSS", peaks[large], peaks[small], "MiB", FLAT, large,
                          note=f"peak RSS of the compact command at {large:,} sessions beside {small:,}"))
    return figures

