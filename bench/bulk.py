"""Bulk figures: batch write, list ids and load all, at growing sizes, per backend.

Both sides start from the same Python records and include opening and closing: the store's
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
from .core import Figure, Target, best_time, timed
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
    root = Path(tempfile.mkdtemp(prefix=f"bulk-{backend.name}-", dir=workdir))
    try:
        spec = backend.store_spec(root)

        def store_write() -> None:
            with spec.open() as store:
                store.write_many(records)

        backend.raw_create(root)
        raw_write_s, _ = timed(lambda: backend.raw_write_many(root, records))
        store_write_s, _ = timed(store_write)
        logger.info("%s %d: write %.2fs (raw %.2fs)", backend.name, size, store_write_s, raw_write_s)

        def store_ids() -> list[str]:
            with spec.open() as store:
                return list(store.session_ids())

        def store_load() -> int:
            with spec.open() as store:
                return sum(1 for _ in store.iter_records())

        expected = sorted(sid for sid, _ in records)
        if store_ids() != expected or backend.raw_ids(root) != expected:
            raise AssertionError(f"{backend.name}: listing does not give back the written ids")
        repeat = max(1, min(settings.repeats, 100_000 // size // 10 or 1, 3))
        list_s = best_time(store_ids, repeat)
        raw_list_s = best_time(lambda: backend.raw_ids(root), repeat)
        load_s = best_time(store_load, repeat)
        raw_load_s = best_time(lambda: backend.raw_load_all(root), repeat)
        logger.info("%s %d: list %.2fs (raw %.2fs), load %.2fs (raw %.2fs)",
                    backend.name, size, list_s, raw_list_s, load_s, raw_load_s)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return [
        Figure(group, "batch write", size / store_write_s, size / raw_write_s, "rec/s", WRITE, size,
               note=f"write_many of {size:,} records, open to close"),
        Figure(group, "list ids", size / list_s, size / raw_list_s, "rec/s", LIST, size,
               note=f"session_ids() of {size:,} sessions"),
        Figure(group, "load all", size / load_s, size / raw_load_s, "rec/s", LOAD, size,
               note=f"iter_records() of {size:,} sessions"),
    ]
