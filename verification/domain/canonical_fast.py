"""The canonical CSV at columnar speed: pyarrow parses, numpy validates.

`canonical_csv.CanonicalCsv` stays the specification. The header is parsed by its rules (quoted
names, a byte order mark and blank lines before it included); the data rows go to
``pyarrow.csv.read_csv`` with typed float64 columns, a few MB of whole lines at a time and one
chunk ahead in a thread, so memory stays a chunk or two whatever the file size. Quoted fields,
CRLF or CR line ends and blank lines are pyarrow's to read.

Each chunk passes through `_CheckedChunks` on its way to pyarrow, which checks what pyarrow would
read differently from the specification (NUL bytes, invalid UTF-8 even in ignored columns,
over-long lines, a quoted value spanning lines). numpy then checks every column against the
specification's rules (finite, in range, time never going backwards, integral cycle and step
numbers).

A file that passes every check is read once, by pyarrow. A chunk is checked whole before any of
its rows are handed out. A chunk in doubt for a value (an error, or a spelling only Python reads:
full-width digits, ``1_0`` as a cycle, a line of spaces) is read again by pyarrow in halves, the
halves of a half in doubt and so on down to pieces of a few kB, which the specification's reader
reads with the line numbers, time order and row count of everything before them: for a bad file
it stops at the bad row with the message naming line and column; otherwise the columnar path
goes on after the piece. A chunk in doubt for its bytes (NUL, not UTF-8, a quoted value spanning
lines) leaves the rest of the file to the specification's reader.

The semicolon dialect (canonical_python.semicolon_dialect: ';' between fields, decimal commas,
as a spreadsheet in such a locale exports the table) is told from the head and read the same way,
pyarrow with that delimiter and decimal mark.

Header problems raise from `read_canonical`; row problems raise while the batches are iterated.
The cell voltage columns ``cell_1_v`` ... ``cell_n_v`` (or ``_mv``) are read as well; the plain
specification ignores them, so the second pass is canonical_python.CellCsv, which reads them too.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .canonical_csv import MAX_CURRENT_A, MAX_LINE_CHARS, MAX_PACK_VOLTAGE_V, _Column
from .canonical_python import (
    DIALECT_LINES,
    FORMAT,
    MAX_CELL_VOLTAGE_V,
    CellCsv,
    Resume,
    cell_key,
    dialect_lines,
    named,
    read_canonical_python,
    semicolon_dialect,
    slow_batches,
    units,
)
from .csv_chunks import Doubt, check_lines, check_quotes, read_ahead
from .testdata import Batch, TestData

_LINE_BLOCK = 8 << 20  # bytes read at a time when counting the lines before a chunk

_LINE_END = re.compile(r"\r\n|\r|\n")
_HEAD_BYTES = 1 << 18
# Whole lines handed to pyarrow at a time, and the block its threads parse each in: measured on
# 10M rows, 4 MB in 2 MB blocks was the fastest of 2-8 MB chunks in 1-4 MB blocks, and keeps the
# peak RSS of verify_file near 160 MB.
CHUNK_BYTES = 4 << 20
BLOCK_BYTES = 2 << 20
# A chunk in doubt is read again in halves down to pieces this size: the Python reader reads
# only the pieces still in doubt, a few dozen lines each.
PIECE_BYTES = 4 << 10
_EXACT_INT = 2.0**53  # float64 holds every integer below this; above it only Python is exact
_REQUIRED = ("time_s", "current_a", "voltage_v", "cycle", "step")
_OPTIONAL = ("temperature_c", "capacity_counter_ah")


def read_canonical(stream: BinaryIO, batch_rows: int = 250_000) -> TestData:
    """Open a canonical CSV from a seekable binary stream, positioned at the file's start."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    origin = stream.tell()
    head = _read_head(stream)
    stream.seek(origin)
    if head is None:  # the header is not plain enough to locate: Python reads it all
        return read_canonical_python(stream, batch_rows)
    parser, offset, header = head
    warnings = list(parser.warnings)

    def batches() -> Iterator[Batch]:
        return _fast_batches(stream, origin, _Head(parser, offset, header), batch_rows, warnings)

    return TestData(FORMAT, units(parser), batches, warnings=warnings, columns=named(parser))


class _Head:
    """The header as parsed, the byte offset just after it, and the lines it took."""

    def __init__(self, parser: CellCsv, offset: int, lines: tuple[str, ...]) -> None:
        self.parser, self.offset, self.lines = parser, offset, lines


class _Retry:
    """A chunk the columnar path does not read as the specification does: the second pass
    starts at `offset` (absolute), the chunk's first byte. `lines` is the chunk where its lines
    are whole and well formed (only a value is in doubt, and it is not the file's last, torn,
    line): the Python reader then reads that chunk alone and the columnar path the rest;
    otherwise (NUL, not UTF-8, a quoted value spanning lines) the Python reader reads on to
    the end."""

    def __init__(self, offset: int, lines: bytes | memoryview | None = None) -> None:
        self.offset, self.lines = offset, lines


class _Parsed:
    """One chunk's batches, and the time of its last row (seconds, and as written)."""

    def __init__(self, batches: list[Batch], last_time: tuple[float, float]) -> None:
        self.batches, self.last_time = batches, last_time


def _read_head(stream: BinaryIO) -> tuple[CellCsv, int, tuple[str, ...]] | None:
    """The header parsed by the specification's rules, the byte offset just after it and the
    lines up to its end (blank lines before it included); None
    where the head cannot be read that way (not UTF-8, NUL bytes, a header cut off by the head's
    size), and the specification's reader reads the whole file."""
    raw = stream.read(_HEAD_BYTES)
    if not isinstance(raw, bytes):
        return None
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(raw[bom:], final=False)
    except UnicodeDecodeError:
        return None
    ends: list[int] = []  # character offset just after each physical line
    lines: list[str] = []
    start = 0
    for match in _LINE_END.finditer(text):
        line = text[start : match.start()]
        if len(line) > MAX_LINE_CHARS or "\x00" in line:
            return None
        if match.end() == len(text) and len(raw) == _HEAD_BYTES:
            break  # a "\r" whose "\n" may follow
        lines.append(line + "\n")
        ends.append(match.end())
        start = match.end()
    # The dialect is told by the lines the Python reader looks at (dialect_lines): all of them
    # here, or Python decides. Past a whole head, the last line may be cut short.
    full = len(raw) == _HEAD_BYTES
    known = lines + ([text[start:]] if text[start:] and not full else [])
    looked_at = dialect_lines(iter(known))
    told = len(looked_at) == DIALECT_LINES or any(line.strip() for line in looked_at[:-1])
    if full and not told:
        return None
    semicolons = semicolon_dialect(looked_at)
    reader = csv.reader(lines, delimiter=";" if semicolons else ",")
    try:
        for fields in reader:
            if fields and (len(fields) > 1 or fields[0].strip()):
                break
        else:
            return None  # no header within the head (or an empty file): Python says why
    except csv.Error:
        return None
    consumed = reader.line_num  # physical lines up to the header's end
    parser = CellCsv(iter(lines[:consumed]), semicolons=semicolons)
    return parser, bom + len(text[: ends[consumed - 1]].encode()), tuple(lines[:consumed])


class _CheckedChunks:
    """The stream after the header in chunks of whole lines (an unfinished line is read again,
    from its start, for the next chunk), each checked for what pyarrow would read differently
    from the specification. On a doubt it records why and ends at the last line handed out, so
    pyarrow's rows are exactly those lines. Chunks are views of the bytes read, with the
    stream position of their first byte: no copy."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self._size = max(size, MAX_LINE_CHARS + 2)
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.doubt: str | None = None
        self.doubt_at = 0  # stream position of the chunk that raised the doubt

    def __iter__(self) -> Iterator[tuple[int, bytes | memoryview, bool]]:
        """(stream position, chunk, whether it ends inside the file's last line)."""
        while True:
            start = self._stream.tell()
            try:
                chunk, torn = self._next()
            except Doubt as doubt:
                self.doubt, self.doubt_at = str(doubt), start
                return
            if not chunk:
                return
            yield start, chunk, torn

    def _next(self) -> tuple[bytes | memoryview, bool]:
        start = self._stream.tell()
        chunk = self._stream.read(self._size)
        if not isinstance(chunk, bytes):
            raise Doubt("not a binary file")
        if not chunk:
            return b"", False
        cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) + 1
        if cut < len(chunk):  # the chunk ends inside a line: is that the file's last line?
            if not self._stream.read(1):
                self._check(chunk, len(chunk), final=True)
                return chunk, True
            if len(chunk) - cut > MAX_LINE_CHARS:
                raise Doubt("a long line")
            self._stream.seek(start + cut)  # the next chunk starts with the unfinished line
        self._check(chunk, cut, final=False)
        return memoryview(chunk)[:cut], False

    def _check(self, chunk: bytes, end: int, final: bool) -> None:
        if chunk.find(b"\x00", 0, end) >= 0:
            raise Doubt("NUL")
        if not chunk.isascii():
            try:
                self._decoder.decode(memoryview(chunk)[:end], final=final)
            except UnicodeDecodeError:
                raise Doubt("not UTF-8") from None
        check_lines(chunk, end)
        if chunk.find(b'"', 0, end) >= 0:
            check_quotes(chunk, end)


def _fast_batches(
    stream: BinaryIO,
    origin: int,
    head: _Head,
    batch_rows: int,
    warnings: list[str],
) -> Iterator[Batch]:
    done = 0
    last_time: tuple[float, float] | None = None  # of the last row handed out
    data_start = origin + head.offset
    lines = _LineCounter(stream, data_start)
    plan = _Plan(head.parser)
    semi = head.parser.semicolons
    position = data_start
    while True:
        retry: _Retry | None = None
        stream.seek(position)
        source = _CheckedChunks(stream, CHUNK_BYTES)
        # Parsing (pyarrow, without the GIL) and checking run one chunk ahead in a thread,
        # while the caller measures the chunk before.
        previous = -math.inf if last_time is None else last_time[0]
        chunks = read_ahead(_parsed(source, head.parser, previous))
        try:
            for chunk in chunks:
                if isinstance(chunk, _Retry):
                    retry = chunk
                    break
                for batch in _split(chunk.batches, batch_rows):
                    yield batch
                    done += len(batch["time_s"])
                last_time = chunk.last_time
        finally:
            chunks.close()  # stops the read-ahead thread before anyone seeks the stream again
        if retry is None and done:
            return
        if retry is None:  # no rows at all: the specification's reader says why
            yield from slow_batches(stream, origin, batch_rows, skip=0, warnings=warnings)
            return
        # The specification's reader takes over at the chunk in doubt: it raises the precise
        # error, or reads what only Python reads.
        offset, before = lines.upto(retry.offset)
        if retry.lines is None:  # on to the end
            at = Resume(offset, len(head.lines) + before, head.lines, last_time, done, semi)
            yield from slow_batches(stream, origin, batch_rows, 0, warnings, resume=at)
            return
        # That chunk alone, then the columnar path again: pyarrow reads its halves, the halves
        # of a half in doubt and so on, down to pieces of a few kB that the Python reader
        # reads. Those pieces' rows do not decide whether the file has any (the first pass
        # above does), so it is told some were read.
        chunk = bytes(retry.lines)
        todo = list(reversed(_halves(chunk, 0, len(chunk))))
        while todo:
            start, end = todo.pop()
            previous = -math.inf if last_time is None else last_time[0]
            try:
                parsed = _parse(memoryview(chunk)[start:end], plan, previous)
            except (pa.ArrowException, Doubt, UnicodeDecodeError):
                if end - start > PIECE_BYTES and len(halves := _halves(chunk, start, end)) > 1:
                    todo.extend(reversed(halves))
                    continue
                offset, before = lines.upto(retry.offset + start)
                piece = io.BytesIO(chunk[offset - retry.offset : end])
                at = Resume(0, len(head.lines) + before, head.lines, last_time, max(done, 1), semi)
                read = yield from slow_batches(piece, 0, batch_rows, 0, warnings, resume=at)
                last_time, rows = read
                done += rows - at.rows_read
                continue
            if parsed is not None:
                for batch in _split(parsed.batches, batch_rows):
                    yield batch
                    done += len(batch["time_s"])
                last_time = parsed.last_time
        position = retry.offset + len(chunk)


def _halves(chunk: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """chunk[start:end] (whole lines) cut in two at the line end nearest its middle; one piece
    if it is a single line."""
    middle = (start + end) // 2
    cut = max(chunk.rfind(b"\n", start, middle), chunk.rfind(b"\r", start, middle)) + 1
    if cut <= start:
        ends = [
            i for i in (chunk.find(b"\n", middle, end), chunk.find(b"\r", middle, end)) if i >= 0
        ]
        cut = min(ends) + 1 if ends else end
    return [(start, cut), (cut, end)] if start < cut < end else [(start, end)]


class _LineCounter:
    """Line ends from a stream position on, counted as the specification's reader counts them
    ("\r\n", "\r" and "\n" each end one line), as far as asked each time."""

    def __init__(self, stream: BinaryIO, start: int) -> None:
        self._stream = stream
        self._position = start
        self._lines = 0
        self._carried_cr = False  # the bytes counted so far end with "\r"

    def upto(self, end: int) -> tuple[int, int]:
        """Lines before stream position `end`, and where the next line starts: `end`, or one
        past it where `end` splits a "\r\n"."""
        self._stream.seek(self._position)
        while self._position < end:
            block = self._stream.read(min(_LINE_BLOCK, end - self._position))
            if not block:
                break
            self._lines += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            if self._carried_cr and block.startswith(b"\n"):
                self._lines -= 1
            self._carried_cr = block.endswith(b"\r")
            self._position += len(block)
        if self._carried_cr and self._stream.read(1) == b"\n":
            return end + 1, self._lines
        return end, self._lines


def _names(parser: CellCsv) -> tuple[list[str], dict[str, _Column]]:
    """Positional column names, and the columns to read under their canonical names."""
    names = [f"f{i}" for i in range(parser.width)]
    wanted = {q: c for q, c in parser.columns.items() if q in _REQUIRED or q in _OPTIONAL}
    wanted.update((cell_key(n), cell) for n, cell in enumerate(parser.cells, start=1))
    return names, wanted


class _Plan:
    """How pyarrow reads a chunk: positional names, the columns wanted and their types."""

    def __init__(self, parser: CellCsv) -> None:
        self.names, self.wanted = _names(parser)
        self.time_name = self.names[self.wanted["time_s"].index]
        types = {self.names[c.index]: pa.float64() for c in self.wanted.values()}
        self.read = pacsv.ReadOptions(column_names=self.names, block_size=BLOCK_BYTES)
        self.parse = pacsv.ParseOptions(
            delimiter=";" if parser.semicolons else ",",
            newlines_in_values=False,
            ignore_empty_lines=True,
        )
        self.convert = pacsv.ConvertOptions(
            column_types=types,
            decimal_point="," if parser.semicolons else ".",
            include_columns=list(types),
            null_values=[""],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )


def _parse(chunk: bytes | memoryview, plan: _Plan, previous_time: float) -> _Parsed | None:
    """One chunk of whole, checked lines as canonical batches (None if it holds no rows);
    Doubt or an ArrowException where the specification might read it differently."""
    if bytes(chunk[:3]) == codecs.BOM_UTF8:
        raise Doubt("a byte order mark, which pyarrow drops at the start of its input")
    table = pacsv.read_csv(pa.py_buffer(chunk), plan.read, plan.parse, plan.convert)
    batches = []
    raw_time = math.nan
    for record in table.to_batches():
        if record.num_rows == 0:
            continue
        batch = {
            q: _column(record.column(plan.names[c.index]), q, c) for q, c in plan.wanted.items()
        }
        time = batch["time_s"]
        if time[0] < previous_time or np.any(time[1:] < time[:-1]):
            raise Doubt("time goes backwards")
        previous_time = time[-1]
        raw_time = float(_floats(record.column(plan.time_name))[0][-1])
        batches.append(batch)
    return _Parsed(batches, (float(previous_time), raw_time)) if batches else None


def _parsed(
    source: _CheckedChunks, parser: CellCsv, previous_time: float
) -> Iterator[_Parsed | _Retry]:
    """Typed, checked columns, chunk by chunk; a _Retry, and nothing more, at the first chunk
    the columnar path doubts. pyarrow.csv.read_csv per chunk of whole lines rather than one
    open_csv stream: read_csv parses a chunk's blocks on all cores where the streaming reader
    parses one block at a time; measured on 10M rows with the figures, interleaved in one
    process, 4.9-5.3 s against 7.1 s (median of 4). Memory stays a chunk or two."""
    plan = _Plan(parser)
    for start, chunk, torn in source:
        try:
            parsed = _parse(chunk, plan, previous_time)
        except (pa.ArrowException, Doubt, UnicodeDecodeError):
            yield _Retry(start, None if torn else chunk)
            return
        if parsed is not None:
            previous_time = parsed.last_time[0]
            yield parsed
    if source.doubt is not None:
        yield _Retry(source.doubt_at)


def _column(array: pa.Array, quantity: str, column: _Column) -> np.ndarray:
    """Canonical values of one column; Doubt for anything the slow reader would refuse."""
    optional = quantity in _OPTIONAL or quantity.startswith("cell_")
    if array.null_count and not optional:
        raise Doubt("an empty field")
    raw, valid = _floats(array)
    if valid is None:
        return _full_column(raw, quantity, column)
    finite = np.isfinite(raw)
    finite |= ~valid
    if not finite.all():
        raise Doubt("not finite")
    if quantity in ("cycle", "step"):
        if np.any(np.abs(raw) >= _EXACT_INT) or np.any(raw != np.round(raw)):
            raise Doubt("not an exact integer")
        return raw.astype(np.int64)
    if column.multiplier == column.divisor == 1.0:
        values = raw  # x * 1.0 / 1.0 is x, bit for bit: no need to copy
    else:
        values = raw * column.multiplier / column.divisor  # as the slow reader does
    if quantity == "capacity_counter_ah":
        return np.abs(values)  # a magnitude, as the slow reader takes it
    if quantity == "current_a":
        bad = np.abs(values) > MAX_CURRENT_A
    elif quantity == "voltage_v":
        bad = (values < 0) | (values > MAX_PACK_VOLTAGE_V)
    elif quantity.startswith("cell_"):
        bad = (values < 0) | (values > MAX_CELL_VOLTAGE_V)
    else:
        return values
    if np.any(bad):
        raise Doubt("out of range")
    return values


def _full_column(raw: np.ndarray, quantity: str, column: _Column) -> np.ndarray:
    """_column for a column without empty fields, checked by its extremes: min and max are NaN
    if any value is, so two reductions tell finite and in range without a temporary array."""
    low, high = float(raw.min()), float(raw.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        raise Doubt("not finite")
    if quantity in ("cycle", "step"):
        if max(-low, high) >= _EXACT_INT:
            raise Doubt("not an exact integer")
        whole = raw.astype(np.int64)
        if np.any(whole != raw):  # exact below 2**53: only a fraction differs
            raise Doubt("not an exact integer")
        return whole
    if column.multiplier == column.divisor == 1.0:
        values = raw  # x * 1.0 / 1.0 is x, bit for bit: no need to copy
    else:
        values = raw * column.multiplier / column.divisor  # as the slow reader does
        low, high = float(values.min()), float(values.max())
    if quantity == "capacity_counter_ah":
        return np.abs(values)  # a magnitude, as the slow reader takes it
    if quantity == "current_a":
        bad = max(-low, high) > MAX_CURRENT_A
    elif quantity == "voltage_v":
        bad = low < 0 or high > MAX_PACK_VOLTAGE_V
    elif quantity.startswith("cell_"):
        bad = low < 0 or high > MAX_CELL_VOLTAGE_V
    else:
        return values
    if bad:
        raise Doubt("out of range")
    return values


def _floats(array: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """Values (NaN where empty) and validity (None if none is empty), read from the buffers
    without copying: pyarrow's to_numpy imports pandas, a quarter second on first use."""
    validity, data = array.buffers()
    values = np.frombuffer(data, np.float64, count=len(array) + array.offset)[array.offset :]
    if array.null_count == 0:
        return values, None
    bits = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
    valid = bits[array.offset : array.offset + len(array)].astype(bool)
    return np.where(valid, values, np.nan), valid


def _split(parts: Iterable[Batch], rows: int) -> Iterator[Batch]:
    """Batches of at most `rows` rows. Parts are cut, never joined: joining would copy each
    batch once more, and the contract asks only for bounded batches."""
    for part in parts:
        size = len(part["time_s"])
        for start in range(0, size, rows):
            yield {key: value[start : start + rows] for key, value in part.items()}


__all__ = ["FORMAT", "read_canonical", "read_canonical_python"]
