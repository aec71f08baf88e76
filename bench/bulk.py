"""Bulk figures: batch write, list ids and load all, at growing sizes, per backend.

Both sides start from the same Python records and include opening and closing (the store, like
the raw table, is created before the clock starts); the two sides
are interleaved, best of 3 (1,000), 2 (10,000) or 1 (100,000) batch writes into fresh stores and
of 3 or 1 listings and loads: the store's
``write_many`` / ``session_ids`` / ``iter_records`` beside the raw library's one-transaction
batch insert, one ``SELECT id ... ORDER BY id`` and one fetch-and-``json.loads`` loop. Results are
records per second; the ratio is the store's rate over the raw rate.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from .backends import Backend, Records
from .core import Figure, Target, best_pair, timed
from .records import sample_records
from .settings import Settings

logger = logging.getLogger(__name__)

WRITE = Target("ratio", ">=", 0.8)
LIST = Target("ratio", ">=", 0.5)
LOAD = Target("ratio", ">=", 0.8)


def run(settings: Settings, backends: list[Backend], workdir: Path) -> list[Figure]:
    figures: list[Figure] = []
    sizes = sorted({n for b in backends for n in settings.bulk_sizes(b.default_max_sessions)})
    for size in sizes:
        records = sample_records(size)
        for backend in backends:
            if size in settings.bulk_sizes(backend.default_max_sessions):
                figures.extend(_one(settings, backend, records, workdir))
    return figures


def _one(settings: Settings, backend: Backend, records: Records, workdir: Path) -> list[Figure]:
    size = len(records)
    group = f"bulk/{backend.name}"
    base = Path(tempfile.mkdtemp(prefix=f"bulk-{backend.name}-", dir=workdir))
    try:
        repeat = 3 if size <= 1_000 else 2 if size <= 10_000 else 1
        raw_write_s = store_write_s = float("inf")
        for attempt in range(repeat):  # interleaved, each into a fresh store; best of both
            keep = attempt == repeat - 1
            raw_root, store_root = base / f"raw{attempt}", base / f"store{attempt}"
            raw_write_s = min(raw_write_s, _fresh_write(backend, raw_root, records, keep, raw=True))
            store_write_s = min(store_write_s, _fresh_write(backend, store_root, records, keep, raw=False))
        spec = backend.store_spec(store_root)
        logger.info("%s %d: write %.2fs (raw %.2fs)", backend.name, size, store_write_s, raw_write_s)

        def store_ids() -> list[str]:
            with spec.open() as store:
                return list(store.session_ids())

        def store_load() -> int:
            with spec.open() as store:
                return sum(1 for _ in store.iter_records())

        expected = sorted(sid for sid, _ in records)
        if store_ids() != expected or backend.raw_ids(raw_root) != expected:
            raise AssertionError(f"{backend.name}: listing does not give back the written ids")
        repeat = 3 if size <= 10_000 else 1
        list_s, raw_list_s = best_pair(store_ids, lambda: backend.raw_ids(raw_root), repeat)
        load_s, raw_load_s = best_pair(store_load, lambda: backend.raw_load_all(raw_root), repeat)
        logger.info("%s %d: list %.2fs (raw %.2fs), load %.2fs (raw %.2fs)",
                    backend.name, size, list_s, raw_list_s, load_s, raw_load_s)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return [
        Figure(group, "batch write", size / store_write_s, size / raw_write_s, "rec/s", WRITE, size,
               note=f"write_many of {size:,} records, open to close"),
        Figure(group, "list ids", size / list_s, size / raw_list_s, "rec/s", LIST, size,
               note=f"session_ids() of {size:,} sessions"),
        Figure(group, "load all", size / load_s, size / raw_load_s, "rec/s", LOAD, size,
               note=f"iter_records() of {size:,} sessions"),
    ]


def _fresh_write(backend: Backend, root: Path, records: Records, keep: bool, raw: bool) -> float:
    """Seconds to batch-write ``records`` into a new store at ``root`` (removed unless ``keep``)."""
    root.mkdir()
    if raw:
        backend.raw_create(root)
        seconds, _ = timed(lambda: backend.raw_write_many(root, records))
    else:
        spec = backend.store_spec(root)
        spec.open().close()  # the store exists before the clock starts, as the raw table does

        def write() -> None:
            with spec.open() as store:
                store.write_many(records)

        seconds, _ = timed(write)
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    return seconds
