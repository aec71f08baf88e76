"""One session in one process: a single save, a whole lifecycle, and the session's own cost.

* single save: ``spec.open()`` + ``write`` + ``close`` beside the raw library's single save
  (open, write one record durably, close); target: at most the raw save plus 1 ms.
* lifecycle: ``Session.create`` + ``run`` of a function that does nothing + ``close``, with git
  off and on (a small committed repository); it opens the store and saves twice (``running``,
  then the final record), so it is shown beside two raw single saves of one id, for scale,
  without a target.
* own cost: the lifecycle on the no-op store with git off, i.e. everything but git and store I/O;
  target under 1 ms.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from session_core.session import Session

from .backends import Backend, builtin_spec
from .core import Figure, Target, best_pair, best_time, ms
from .gitbench import make_repository
from .records import sample_record
from .settings import Settings

_counter = iter(range(10**9))


def _next_id() -> str:
    return f"bench-{next(_counter):09d}"


def _lifecycle(project: Path, spec, spool: Path, git: bool) -> None:
    session = Session.create(project_path=project, store=spec, git=git, spool_dir=spool)
    session.run(lambda: None)
    session.close()


def run(settings: Settings, backends: list[Backend], workdir: Path) -> list[Figure]:
    project = make_repository(workdir, 10)
    spool = workdir / "spool"
    repeat = settings.repeats
    none_spec = builtin_spec("none", None)
    own_s = best_time(lambda: _lifecycle(project, none_spec, spool, git=False), repeat * 4)
    figures = [Figure("lifecycle/none", "session own cost (no-op store, git off)", ms(own_s), None,
                      "ms", Target("value", "<=", 1.0),
                      note="create + run + close; everything but git and store I/O")]
    for backend in backends:
        root = Path(tempfile.mkdtemp(prefix=f"life-{backend.name}-", dir=workdir))
        backend.raw_create(root)
        spec = backend.store_spec(root)
        record = sample_record("x", 0)

        def save() -> None:
            with spec.open() as store:
                store.write(_next_id(), record)

        def raw_save() -> None:
            backend.raw_save_one(root, _next_id(), record)

        def raw_two_saves() -> None:
            session_id = _next_id()
            backend.raw_save_one(root, session_id, record)
            backend.raw_save_one(root, session_id, record)

        save(), raw_save()  # create the store and warm caches
        save_s, raw_s = best_pair(save, raw_save, repeat)
        group = f"lifecycle/{backend.name}"
        figures.append(Figure(group, "single save (open, write, close)", ms(save_s), ms(raw_s), "ms",
                              Target("excess", "<=", 1.0)))
        for git in (False, True):
            life_s, raw_s = best_pair(lambda: _lifecycle(project, spec, spool, git), raw_two_saves, repeat)
            figures.append(Figure(group, f"session lifecycle, git {'on' if git else 'off'}",
                                  ms(life_s), ms(raw_s), "ms",
                                  note="open + 2 saves (+ git status), beside 2 raw saves"))
    return figures
