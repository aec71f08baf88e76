"""The tail of a wrapped command's stderr: passed through to ours as it comes, the last lines kept.

A failed command is recorded with the last ``TAIL_LINES`` lines (at most ``TAIL_BYTES`` bytes) of
what it wrote to stderr, redacted (:func:`session_core.redact.redact_text`), so the record says
why it failed; the user still sees every byte live on their terminal.
"""

from __future__ import annotations

import logging
import os
from typing import IO

from .background import start_thread
from .redact import redact_text

logger = logging.getLogger(__name__)

TAIL_LINES = 20
TAIL_BYTES = 4096
#: a command that leaves a background process holding its stderr open is not waited for longer
DRAIN_WAIT_S = 5.0
_CHUNK = 65536


class StderrTail:
    """Copies ``source`` (a child's stderr pipe) to file descriptor ``sink`` in a thread, keeping
    only the last ``max_bytes`` bytes, so memory stays bounded whatever the command writes."""

    def __init__(self, source: IO[bytes], sink: int = 2, max_lines: int = TAIL_LINES,
                 max_bytes: int = TAIL_BYTES) -> None:
        self._source = source
        self._sink: int | None = sink
        self._max_lines = max_lines
        self._max_bytes = max_bytes
        self._kept = bytearray()
        self._cut = False
        self._thread = start_thread(self._pump, "session-core-stderr")

    def _pump(self) -> None:
        fd = self._source.fileno()
        while chunk := os.read(fd, _CHUNK):
            self._pass_on(chunk)
            self._kept += chunk
            if len(self._kept) > self._max_bytes:
                del self._kept[: len(self._kept) - self._max_bytes]
                self._cut = True

    def _pass_on(self, chunk: bytes) -> None:
        """Write to our stderr; once it is gone (closed, broken pipe) keep recording only."""
        view = memoryview(chunk)
        while self._sink is not None and view:
            try:
                view = view[os.write(self._sink, view):]
            except OSError:
                self._sink = None

    def text(self) -> str:
        """The kept tail, redacted: whole lines only (unless one line is all there is), at most
        ``max_lines`` lines and ``max_bytes`` bytes of UTF-8.

        Waits for the command's stderr to end, at most ``DRAIN_WAIT_S`` seconds after the command
        exited (a background process it left may hold the pipe; what it writes later is not kept).
        """
        self._thread.join(DRAIN_WAIT_S)
        if self._thread.is_alive():
            logger.info("the command's stderr is still open (a background process?); keeping what came so far")
        lines = bytes(self._kept).decode("utf-8", errors="replace").splitlines()
        if self._cut and len(lines) > 1:
            lines = lines[1:]  # the first line was cut in the middle
        text = redact_text("\n".join(lines[-self._max_lines:]))
        tail = text.encode("utf-8")[-self._max_bytes:]
        return tail.decode("utf-8", errors="ignore")
