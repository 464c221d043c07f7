"""The canonical CSV at columnar speed: pyarrow parses, numpy validates, the slow reader judges.

`canonical_csv.CanonicalCsv` stays the specification. This reader takes the fast path only while
the input is plainly within it (no quotes, no NUL bytes, short lines, numbers pyarrow and Python
read alike); at the first doubt it re-reads the stream from the start with the slow reader and
carries on from the row it had reached. So a bad file gets exactly the slow reader's message and a
file only Python can read (full-width digits, ``1_0`` as a cycle, lines of spaces) gives the same
numbers.

The file is read in chunks of whole lines (a few MB), each parsed by pyarrow.csv.read_csv with
explicit column types in a read-ahead thread; memory is bounded by a few chunks whatever the file
size. Batches are numpy views of pyarrow's buffers: read-only, and at most `batch_rows` long.

Header problems raise from `read_canonical`; row problems raise while the batches are iterated.
The cell voltage columns ``cell_1_v`` ... ``cell_n_v`` (or ``_mv``) are new; the slow reader
ignores them, so the fallback is canonical_python.CellCsv, which reads them too.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .canonical_csv import MAX_CURRENT_A, MAX_LINE_CHARS, MAX_PACK_VOLTAGE_V, _Column
from .canonical_python import (
    FORMAT,
    MAX_CELL_VOLTAGE_V,
    CellCsv,
    cell_key,
    named,
    read_canonical_python,
    slow_batches,
    units,
)
from .csv_chunks import Doubt, line_chunks, read_ahead
from .testdata import Batch, TestData

_LINE_END = re.compile(r"\r\n|\r|\n")
_HEAD_BYTES = 1 << 18
_EXACT_INT = 2.0**53  # float64 holds every integer below this; above it only Python is exact


def read_canonical(stream: BinaryIO, batch_rows: int = 250_000) -> TestData:
    """Open a canonical CSV from a seekable binary stream, positioned at the file's start."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    origin = stream.tell()
    head = _read_head(stream)
    stream.seek(origin)
    if head is None:  # the header is not plain enough to locate: Python reads it all
        return read_canonical_python(stream, batch_rows)
    parser, offset, line_bytes = head
    chunk_size = int(min(max(batch_rows * line_bytes, 1 << 20), 8 << 20))  # fastest measured

    warnings = list(parser.warnings)

    def batches() -> Iterator[Batch]:
        return _fast_batches(stream, origin, offset, parser, batch_rows, chunk_size, warnings)

    return TestData(FORMAT, units(parser), batches, warnings=warnings, columns=named(parser))


def _read_head(stream: BinaryIO) -> tuple[CellCsv, int, float] | None:
    """The header parsed by the slow reader's rules, the byte offset of the first data row and
    the mean bytes per data line; None where anything about the head is unusual."""
    raw = stream.read(_HEAD_BYTES)
    if not isinstance(raw, bytes):
        return None
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(raw[bom:], final=False)
    except UnicodeDecodeError:
        return None
    lines: list[str] = []
    start = 0
    for match in _LINE_END.finditer(text):
        line = text[start : match.start()]
        if len(line) > MAX_LINE_CHARS or '"' in line or "\x00" in line:
            return None
        if match.end() == len(text) and len(raw) == _HEAD_BYTES:
            return None  # a "\r" whose "\n" may follow, or a header cut short
        lines.append(line + "\n")
        start = match.end()
        fields = next(csv.reader([line]), [])
        if fields and (len(fields) > 1 or fields[0].strip()):
            parser = CellCsv(iter(lines))
            offset = bom + len(text[:start].encode())
            data_lines = max(text.count("\n", start), text.count("\r", start))
            return parser, offset, (len(raw) - offset) / data_lines if data_lines else 64.0
    return None


_REQUIRED = ("time_s", "current_a", "voltage_v", "cycle", "step")
_OPTIONAL = ("temperature_c", "capacity_counter_ah")


def _fast_batches(
    stream: BinaryIO,
    origin: int,
    offset: int,
    parser: CellCsv,
    batch_rows: int,
    chunk_size: int,
    warnings: list[str],
) -> Iterator[Batch]:
    done = 0
    stream.seek(origin + offset)
    tables = read_ahead(_tables(stream, parser, chunk_size))
    try:
        for batch in _split(_parsed(tables, parser), batch_rows):
            yield batch
            done += len(batch["time_s"])
        if done:
            return
    except (pa.ArrowException, Doubt, UnicodeDecodeError):
        pass
    finally:
        tables.close()  # stops the read-ahead thread before anyone seeks the stream again
    # The slow reader re-reads from the start: it raises the precise error, or (for input only
    # Python reads) carries on from the first row not yet handed out.
    yield from slow_batches(stream, origin, batch_rows, skip=done, warnings=warnings)


def _names(parser: CellCsv) -> tuple[list[str], dict[str, _Column]]:
    """Positional column names, and the columns to read under their canonical names."""
    names = [f"f{i}" for i in range(parser.width)]
    wanted = {q: c for q, c in parser.columns.items() if q in _REQUIRED or q in _OPTIONAL}
    wanted.update((cell_key(n), cell) for n, cell in enumerate(parser.cells, start=1))
    return names, wanted


def _tables(stream: BinaryIO, parser: CellCsv, chunk_size: int) -> Iterator[pa.Table]:
    # read_csv per chunk rather than one open_csv stream: it converts a chunk's blocks on all
    # cores, and measured at 1.7x open_csv's speed on a million rows; memory stays one chunk.
    names, wanted = _names(parser)
    types = {names[c.index]: pa.float64() for c in wanted.values()}
    read_options = pacsv.ReadOptions(column_names=names, block_size=max(chunk_size // 4, 1 << 16))
    parse_options = pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True)
    convert_options = pacsv.ConvertOptions(
        column_types=types,
        include_columns=list(types),
        null_values=[""],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    for chunk in line_chunks(stream, chunk_size):
        yield pacsv.read_csv(pa.py_buffer(chunk), read_options, parse_options, convert_options)


def _parsed(tables: Iterable[pa.Table], parser: CellCsv) -> Iterator[Batch]:
    names, wanted = _names(parser)
    previous_time = -math.inf
    for table in tables:
        for record in table.to_batches():
            batch = {q: _column(record.column(names[c.index]), q, c) for q, c in wanted.items()}
            time = batch["time_s"]
            if len(time) == 0:
                continue
            if time[0] < previous_time or np.any(time[1:] < time[:-1]):
                raise Doubt("time goes backwards")
            previous_time = time[-1]
            yield batch


def _column(array: pa.Array, quantity: str, column: _Column) -> np.ndarray:
    """Canonical values of one column; Doubt for anything the slow reader would refuse."""
    optional = quantity in _OPTIONAL or quantity.startswith("cell_")
    if array.null_count and not optional:
        raise Doubt("an empty field")
    raw, valid = _floats(array)
    finite = np.isfinite(raw)
    if valid is not None:
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
