"""Reading progress of an uploaded file, for the status a supplier watches while a worker runs.

Readers consume their stream in their own way (pyarrow in blocks from a read-ahead thread,
zipfile by seeking, galvani all at once), so progress is counted where every one of them must
pass: the bytes read. Counting may happen on any thread; reporting happens only when the
measuring thread calls `poll()` (between batches), so a report that writes to the database uses
that thread's connection and transaction, never one a reader's thread would open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import BinaryIO


class ProgressReader:
    """Wraps a binary stream; `poll()` calls `report(percent)` once reading has advanced by
    `step_pct` and `interval_s` has passed, so a database write per report stays cheap."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        total_bytes: int,
        report: Callable[[int], None],
        step_pct: int = 5,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._total = max(int(total_bytes), 1)
        self._report = report
        self._step = step_pct
        self._interval = interval_s
        self._clock = clock
        self._reported = 0
        self._reported_at = -float("inf")
        self.percent = 0  # read so far; an int, so another thread's write is never torn

    def _advance(self) -> None:
        try:
            position = self._stream.tell()
        except (OSError, ValueError):
            return
        self.percent = max(self.percent, min(100, position * 100 // self._total))

    def poll(self) -> None:
        """Report the progress if it is due; call it from the thread that may write."""
        percent, now = self.percent, self._clock()
        finished = percent == 100 > self._reported
        due = percent >= self._reported + self._step and now - self._reported_at >= self._interval
        if finished or due:
            self._reported, self._reported_at = percent, now
            self._report(percent)

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._advance()
        return data

    def read1(self, size: int = -1) -> bytes:
        read1 = getattr(self._stream, "read1", self._stream.read)
        data = read1(size)
        self._advance()
        return data

    def readinto(self, buffer) -> int:
        count = self._stream.readinto(buffer)
        self._advance()
        return count

    def readline(self, size: int = -1) -> bytes:
        line = self._stream.readline(size)
        self._advance()
        return line

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __getattr__(self, name: str):
        # seek, tell, seekable, readable, name, closed...: the wrapped stream's own.
        return getattr(self._stream, name)
