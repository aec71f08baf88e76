"""Run browser figures: the server time of the runs table's first page on a big SQLite store.

Issue 17's target: the first page (50 runs, newest first) of a 100,000-session SQLite store is
answered in under 200 ms of server time. Server time is the API's own work, in process: reading
the store, building the rows and encoding the JSON answer (no socket, no browser). Beside it, in
the same run on the same store: ``list --limit 50``'s work (its newest-first reading and its
table rows, also in process). A keyset page deep in the history (the page after the middle id) is
shown too. Best of ``settings.repeats`` runs, interleaved with the ``list`` side.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from session_core.commands.list import matching, row
from session_core.history import HistoryFilter
from session_core.stores.sqlite import SQLiteStore
from session_core.ui.api import Api

from .core import Figure, Target, best_pair, ms
from .records import sample_records
from .settings import Settings

FIRST_PAGE = Target("value", "<=", 200.0)
PAGE = 50


def run(settings: Settings, backends: list, workdir: Path) -> list[Figure]:
    size = max(settings.bulk_sizes(settings.max_sessions))
    path = Path(tempfile.mkdtemp(prefix="ui-", dir=workdir)) / "runs.db"
    records = sample_records(size)
    with SQLiteStore(path) as store:
        store.write_many(records)
    middle = records[size // 2][0]
    with SQLiteStore(path) as store:
        api = Api(store)

        def page(query: dict[str, list[str]]):
            def answer() -> bytes:
                status, body = api.answer("/api/sessions", query)
                assert status == 200 and body["sessions"], body
                return json.dumps(body).encode()

            return answer

        def list_command() -> None:
            rows = [row(record) for record in matching(store, HistoryFilter(), None, PAGE, on_bad=print)]
            assert len(rows) == min(PAGE, size)

        first_s, list_s = best_pair(page({"limit": [str(PAGE)]}), list_command, settings.repeats)
        deep_s, list_again_s = best_pair(page({"limit": [str(PAGE)], "after": [middle]}), list_command, settings.repeats)
    return [
        Figure("ui/sqlite", f"runs page 1 ({PAGE} rows), server time", ms(first_s), ms(list_s), "ms",
               target=FIRST_PAGE, sessions=size, note=f"limit: list --limit {PAGE}, same store, same run"),
        Figure("ui/sqlite", f"runs page after the middle id ({PAGE} rows)", ms(deep_s), ms(list_again_s), "ms",
               sessions=size, note=f"keyset page; limit: list --limit {PAGE}"),
    ]
