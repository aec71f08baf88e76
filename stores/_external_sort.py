"""Sorting more names than a writer should hold in memory: sorted runs spilled to temporary files.

A local folder cannot be listed in order, so its listing sorts the names. Readers hold them all
(about 70 bytes a session); a compaction, which must stay flat in memory however large the
store grows, holds at most ``held`` names: each full run is sorted and written to an anonymous
temporary file (unlinked at once, so nothing is left behind even by ``kill -9``), and the runs
are merged as they are read back. One pass over the folder, ``n log n`` comparisons, and a few
kilobytes of buffer per run.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from itertools import islice
from typing import IO


def sorted_bounded(names: Iterable[str], held: int) -> Iterator[str]:
    """``names`` in ascending order, holding at most ``held`` of them in memory at once.

    Names must not contain a line break (file names and session ids never do).

    Raises:
        OSError: a temporary file could not be written (the temporary folder is full or
            unwritable); nothing is left behind.
    """
    names = iter(names)
    first = sorted(islice(names, held))
    if len(first) < held:  # all of them fitted: no file at all
        yield from first
        return
    with ExitStack() as stack:
        runs = [_spill(stack, first)]
        del first
        while run := sorted(islice(names, held)):
            runs.append(_spill(stack, run))
            del run
        yield from heapq.merge(*(_lines(file) for file in runs))


def _spill(stack: ExitStack, run: list[str]) -> IO[str]:
    """``run`` written to a new anonymous temporary file, rewound for reading."""
    import tempfile  # only a compaction of a large folder spills: opening a store does not pay for it (and shutil)

    file = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n"))
    file.writelines(f"{name}\n" for name in run)
    file.seek(0)
    return file


def _lines(file: IO[str]) -> Iterator[str]:
    for line in file:
        yield line[:-1]
