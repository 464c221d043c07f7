"""Raw bytes for the columnar readers: whole lines, checked, and read ahead in a thread.

The checks catch what pyarrow would read differently from the careful readers (the canonical
specification, canonical_csv.py, and the vendor tables' pandas path): NUL bytes, invalid UTF-8
even in ignored columns, lines longer than the limit, and a quoted value spanning lines.
Quoted fields on one line are read alike by all of them.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Iterator
from queue import Empty, Full, Queue
from typing import BinaryIO, TypeVar

import numpy as np

from .canonical_csv import MAX_LINE_CHARS

T = TypeVar("T")
_POLL_S = 0.05


class Doubt(Exception):
    """The input holds something pyarrow might read differently from the careful reader: the
    careful reader decides (and names the line of an error)."""


def line_chunks(
    stream: BinaryIO, size: int, check_utf8: bool = True, quoting: bool = True
) -> Iterator[tuple[int, memoryview]]:
    """Whole lines, about `size` bytes at a time, with the stream position of each chunk's
    first byte, in one reused buffer: each chunk is parsed before the next read overwrites it
    (pyarrow copies numbers out of it). check_utf8=False is for readers whose files declare
    another encoding (pyarrow transcodes them); quoting=False for tables whose quotes are
    plain characters (tab-separated exports)."""
    buffer = bytearray(size + MAX_LINE_CHARS + 2)
    view = memoryview(buffer)
    kept = 0  # bytes of an unfinished line, moved to the buffer's start
    if not hasattr(stream, "readinto"):
        raise Doubt("not a binary file")
    position = stream.tell()  # of the buffer's first byte
    while True:
        read = stream.readinto(view[kept : kept + size])
        filled = kept + (read or 0)
        if not read:
            if kept:
                yield position, _checked(buffer, view, kept, check_utf8, quoting)
            return
        cut = max(buffer.rfind(b"\n", 0, filled), buffer.rfind(b"\r", 0, filled)) + 1
        if filled - cut > MAX_LINE_CHARS:
            raise Doubt("a long line")
        if cut:
            yield position, _checked(buffer, view, cut, check_utf8, quoting)
        position += cut
        kept = filled - cut
        buffer[:kept] = bytes(view[cut:filled])


def _checked(
    buffer: bytearray, view: memoryview, end: int, check_utf8: bool, quoting: bool
) -> memoryview:
    """buffer[:end], if it holds nothing the careful reader reads differently: NUL, invalid
    UTF-8 (even in ignored columns), over-long lines, a quoted value spanning lines."""
    if buffer.find(b"\x00", 0, end) >= 0:
        raise Doubt("NUL")
    if check_utf8 and np.frombuffer(buffer, np.uint8, count=end).max() >= 0x80:
        codecs.utf_8_decode(view[:end], None, True)  # raises, and the fallback says why
    check_lines(buffer, end)
    if quoting and buffer.find(b'"', 0, end) >= 0:
        check_quotes(buffer, end)
    return view[:end]


def check_lines(block: bytes | bytearray, end: int) -> None:
    """Doubt if a line of block[:end] is longer than the careful reader's limit."""
    # Hop from line end to line end in strides of the limit: a few calls per 100 kB.
    position = -1
    while end - position - 1 > MAX_LINE_CHARS:
        window = (position + 1, min(position + MAX_LINE_CHARS + 2, end))
        last = max(block.rfind(b"\n", *window), block.rfind(b"\r", *window))
        if last < 0:
            raise Doubt("a long line")
        position = last


def check_quotes(block: bytes | bytearray, end: int) -> None:
    """pyarrow reads with newlines_in_values=False (faster); a line with an odd number of quotes
    holds a value that spans lines (or a stray quote), which Python's csv and pandas read
    differently. Every line has an even number of quotes exactly when the count before each
    line end is even (and the count in all): one vectorised pass, as a file with every field
    quoted has a dozen quotes per line."""
    data = np.frombuffer(block, np.uint8, count=end)
    quotes = np.flatnonzero(data == ord('"'))
    if quotes.size % 2:
        raise Doubt("a quoted value spans lines")
    ends = np.flatnonzero((data == ord("\n")) | (data == ord("\r")))
    if np.any(np.searchsorted(quotes, ends) % 2):
        raise Doubt("a quoted value spans lines")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """`items`, produced one ahead in a worker thread. Reading and parsing release the GIL, so
    on two cores the next chunk is parsed while this one is measured. An exception in the
    producer is raised here; when this generator ends, for any reason, the producer has stopped
    (so the stream is free to be re-read)."""
    queue: Queue[tuple[str, object]] = Queue(maxsize=1)
    stop = threading.Event()

    def put(message: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                queue.put(message, timeout=_POLL_S)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as error:  # handed to the consumer as it is
            put(("error", error))

    worker = threading.Thread(target=produce, name="csv-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, value = queue.get(timeout=_POLL_S)
            except Empty:
                if worker.is_alive():
                    continue
                raise RuntimeError("the read-ahead thread stopped without a word") from None
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
