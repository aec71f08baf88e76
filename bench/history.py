"""Reading the history back: ``query``, ``list --since``, ``export`` memory and heartbeat cost.

* ``query`` of ``select status, count(*) from sessions group by status`` over the SQLite,
  DuckDB and PostgreSQL stores (the largest size; each backend chosen with ``--backends``)
  beside DuckDB running the same SQL on the same data already loaded in a table (an in-memory
  DuckDB table of the typed columns of ``sessions``: every record already parsed); over a JSON
  folder (at most 10,000 sessions) beside DuckDB's ``read_json`` of the same files. Target:
  within 2x. For SQLite, DuckDB and PostgreSQL the same run also gives the split of the query's
  time (informative figures, each beside the same raw): reading every record from the store,
  handing the texts to DuckDB, and parsing them (``ready``: the relation defined, before the
  SQL runs).
* ``list --since 1d`` (every match, through :func:`session_core.history.iter_history`) over a
  SQLite store beside the raw indexed ``SELECT`` on ``json_extract(record, '$.started_at')``
  with ``json.loads`` of each row. Target: within 2x.
* ``export`` to JSON lines: peak RSS of the whole command at the largest size beside a tenth
  of it (100,000 beside 10,000). Target: within 1.2x (flat memory).
* Heartbeat cost: ``run -- true`` with the default heartbeat beside ``--heartbeat 0``, whole
  processes, best of several. Target: within 1.1x (the thread starts with the run and sleeps).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .backends import Backend, builtin_spec
from .core import Figure, Target, best_pair, best_time, ms
from .migrate import peak_rss_mib
from .records import sample_records
from .settings import Settings

logger = logging.getLogger(__name__)

WITHIN_2X = Target("ratio", "<=", 2.0)
FLAT = Target("ratio", "<=", 1.2)
NO_COST = Target("ratio", "<=", 1.1)
GROUP_BY = "select status, count(*) as runs from sessions group by status order by status"
JSON_CAP = 10_000
STATUSES = ("completed", "completed", "completed", "failed", "interrupted")


def unavailable() -> str | None:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return "duckdb is not installed (pip install 'session-core[query]')"
    return None


def spread_records(count: int) -> list[tuple[str, dict[str, Any]]]:
    """Sample records started over the last 100 days (about 1% in the last day), in id order."""
    now = datetime.now(timezone.utc)
    records = sample_records(count)
    for index, (_, record) in enumerate(records):
        started = now - timedelta(days=100) + timedelta(days=100) * (index / count)
        record.update(status=STATUSES[index % len(STATUSES)], started_at=started.isoformat(timespec="microseconds"),
                      ended_at=(started + timedelta(seconds=12.5)).isoformat(timespec="microseconds"))
    return records


def run(settings: Settings, backends: list[Backend], workdir: Path) -> list[Figure]:
    size = max(settings.sizes)
    small = max(1, size // 10)  # export memory: the largest size beside a tenth of it
    base = Path(tempfile.mkdtemp(prefix="history-", dir=workdir))
    try:
        records = spread_records(size)
        by_name = {backend.name: backend for backend in backends}
        wanted = set(by_name) & {"sqlite", "duckdb", "json", "postgres"}
        paths = {"sqlite": base / "runs.db", "duckdb": base / "runs.duckdb", "json": base / "json"}
        stores = {name: builtin_spec(name, str(paths[name])) for name in ("sqlite", "duckdb", "json")
                  if name in wanted or name == "sqlite"}  # list, export and heartbeat use SQLite
        if "postgres" in wanted:
            stores["postgres"] = by_name["postgres"].store_spec(base)
        for name, spec in stores.items():
            with spec.open() as store:
                store.write_many(records[:JSON_CAP] if name == "json" else records)
        figures = []
        for name, spec in stores.items():
            if name in wanted:
                figures += _query(settings, name, spec, base)
        figures.append(_list_since(settings, stores["sqlite"], base / "runs.db", size))
        figures.append(_export_memory(base, records, small, size))
        figures.append(_heartbeat_cost(settings, base))
        return figures
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _query(settings: Settings, name: str, spec: Any, base: Path) -> list[Figure]:
    from session_core.query import connect, run_query, sessions_relation

    def ours() -> list[tuple]:
        with spec.open() as store:
            for result in run_query(store, GROUP_BY):
                return list(result.rows())
        return []

    con = connect()
    if name == "json":
        files = str(base / "json" / "sessions" / "*")
        raw_sql = f"select status, count(*) as runs from read_json('{files}') group by status order by status"
        note = "DuckDB read_json of the same files, same GROUP BY"
    else:
        with spec.open() as store, sessions_relation(con, store):
            con.execute("CREATE TABLE loaded AS SELECT * FROM sessions")
        raw_sql = GROUP_BY.replace("from sessions", "from loaded")
        note = "DuckDB, the same SQL on the same data already loaded in a table"
    expected = con.execute(raw_sql).fetchall()
    found = ours()
    if [tuple(row) for row in found] != [tuple(row) for row in expected]:
        raise AssertionError(f"query on {name}: {found} != raw {expected}")
    repeat = max(1, min(settings.repeats, 3))
    ours_s, raw_s = best_pair(ours, lambda: con.execute(raw_sql).fetchall(), repeat)
    con.close()
    count = sum(row[1] for row in expected)
    figures = [Figure(f"history/{name}", "query group by", ms(ours_s), ms(raw_s), "ms", WITHIN_2X, count, note=note)]
    if name != "json":
        figures += _query_split(name, spec, raw_s, repeat, count)
    return figures


def _query_split(name: str, spec: Any, raw_s: float, repeat: int, count: int) -> list[Figure]:
    """Where the query's time goes, beside the same raw: read every record from the store
    (DuckDB: scan the attached file's texts; others: stream them into Python), then also hand
    them to DuckDB (a store without a query source), then parse them (the relation ready)."""
    from session_core.query import LOAD_BATCH, connect, sessions_relation

    def read() -> int:
        with spec.open() as store:
            con = connect()
            try:
                with store.query_source(con) as source:
                    if source is not None:
                        return con.execute(f"SELECT sum(length(record)) FROM ({source})").fetchone()[0]
                return sum(len(text) for _, text in store.iter_raw())
            finally:
                con.close()

    def handed_over() -> int:
        with spec.open() as store:
            con = connect()
            try:
                with store.query_source(con) as source:
                    if source is not None:  # DuckDB reads the store in place: nothing to hand over
                        return con.execute(f"SELECT sum(length(record)) FROM ({source})").fetchone()[0]
                handed = 0
                batch: list[tuple[str, str]] = []
                for session_id, text in store.iter_raw():
                    batch.append((session_id, text if isinstance(text, str) else text.decode("utf-8")))
                    if len(batch) >= LOAD_BATCH:
                        handed += _hand_over(con, batch)
                        batch = []
                return handed + _hand_over(con, batch)
            finally:
                con.close()

    def ready() -> None:
        with spec.open() as store:
            con = connect()
            try:
                with sessions_relation(con, store, columns=frozenset({"status"})):
                    pass
            finally:
                con.close()

    stages = (("read every record", read), ("read + hand over to DuckDB", handed_over),
              ("read + hand over + parse (ready)", ready))
    return [Figure(f"history/{name}", f"query split: {label}", ms(best_time(stage, repeat)), ms(raw_s), "ms", None, count,
                   note="informative: the stage alone beside the raw GROUP BY on the loaded table")
            for label, stage in stages]


def _hand_over(con: Any, batch: list[tuple[str, str]]) -> int:
    """Pass one batch to DuckDB as ``query`` does (two lists), without parsing or keeping it."""
    if not batch:
        return 0
    ids, texts = zip(*batch)
    return con.execute("SELECT sum(length(r)) FROM (SELECT unnest(?::VARCHAR[]) AS i, unnest(?::VARCHAR[]) AS r)",
                       [list(ids), list(texts)]).fetchone()[0]



def _list_since(settings: Settings, spec: Any, db: Path, size: int) -> Figure:
    from session_core.history import HistoryFilter, iter_history

    since = datetime.now(timezone.utc) - timedelta(days=1)

    def ours() -> int:
        with spec.open() as store:
            return sum(1 for _ in iter_history(store, HistoryFilter(since=since)))

    from session_core.stores.sqlite import STARTED_AT_PATH, json_text

    def raw() -> int:  # the store's own index expression, so the raw side uses the index too
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute(
                f"SELECT id, record FROM sessions WHERE {json_text(STARTED_AT_PATH)} >= ? ORDER BY +id DESC",
                (since.replace(tzinfo=None).isoformat(),),
            )
            return sum(1 for _, text in rows if json.loads(text))
        finally:
            conn.close()

    if ours() != raw():
        raise AssertionError(f"list --since 1d: {ours()} sessions, raw {raw()}")
    ours_s, raw_s = best_pair(ours, raw, max(1, min(settings.repeats, 5)))
    return Figure("history/sqlite", "list --since 1d", ms(ours_s), ms(raw_s), "ms", WITHIN_2X, size,
                  note=f"{raw()} of {size:,} sessions; raw: the indexed SELECT on started_at + json.loads")


def _export_memory(base: Path, records: list, small: int, size: int) -> Figure:
    peaks = {}
    for count in sorted({small, size}):
        spec = builtin_spec("sqlite", str(base / f"export-{count}.db"))
        with spec.open() as store:
            store.write_many(records[:count])
        argv = ["-m", "session_core", "export", "--store", f"sqlite:///{base}/export-{count}.db",
                "-o", str(base / f"export-{count}.jsonl")]
        _, peaks[count] = peak_rss_mib(argv, base)
    return Figure("history/sqlite", "export peak RSS", peaks[size], peaks[small], "MiB", FLAT, size,
                  note=f"export -o FILE.jsonl of {size:,} sessions beside {small:,}, whole process")


def _heartbeat_cost(settings: Settings, base: Path) -> Figure:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSION_CORE")}
    env["SESSION_CORE_SPOOL"] = str(base / "spool")

    def run_true(heartbeat: str) -> None:
        subprocess.run([sys.executable, "-m", "session_core", "run", "--store", f"sqlite:///{base}/beat.db",
                        "--no-git", "--heartbeat", heartbeat, "--", "true"],
                       cwd=base, env=env, check=True, capture_output=True)

    run_true("0")  # the store exists before timing starts
    repeat = max(2, settings.process_repeats)
    with_s, without_s = best_pair(lambda: run_true("30"), lambda: run_true("0"), repeat)
    return Figure("history/sqlite", "run -- true, heartbeat on", ms(with_s), ms(without_s), "ms", NO_COST,
                  note="whole process, default heartbeat (30 s) beside --heartbeat 0")
