"""Streaming a vendor table's rows from the byte offset of its first data row, keeping only the
columns a reader needs. Vendor files arrive as uploads of any size; two ways, one result:

- the fast path: chunks of whole lines parsed by pyarrow, one ahead in a thread, with the
  numeric columns converted by pyarrow itself (quoted fields and decimal commas included);
- the careful path: ``pandas.read_csv(chunksize=)`` keeps every column as text, so that a bad
  value can be reported with its line and its text instead of a bare parser message.

The fast path stops at its first doubt. For a value (one it cannot convert, a missing number, a
row of another width) the careful path reads that chunk of a few MB alone, from the first row
not yet handed over, and the fast path goes on after it: a bad file gets exactly the careful
path's message, and a valid one with an odd row stays columnar. For the bytes (not the
declared encoding, a quoted value spanning lines), or where pandas refuses the chunk as a
table, the careful path carries on to the end of the file.

A file cut off while it was written or copied ends in a torn row (fewer fields than the row
before it, or a number cut short). That last row alone is left out with a warning naming its
line; a torn row anywhere else stays an error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..csv_chunks import Doubt, line_chunks, read_ahead
from ..errors import TestDataError


@dataclass
class Table:
    """Where a vendor table starts and which of its columns a reader needs."""

    vendor: str  # "Maccor export", used in every message
    offset: int  # bytes from the stream origin to the first data row
    line: int  # 1-based line number of the first data row
    width: int  # header fields
    columns: dict[str, int]  # role -> column index
    sep: str = ","
    encoding: str = "utf-8"
    comma: bool = False  # decimal comma
    text_roles: frozenset[str] = frozenset()  # columns read as text (modes, "0d 01:02:03" times)
    # numbers that may be blank
    optional_roles: frozenset[str] = frozenset({"temperature", "counter", "counter2"})


class _Doubt(Exception):
    """The fast path cannot vouch for what it reads. `at`: (stream positions of the chunk's
    first byte and of the byte after it, its first row) where a value in that chunk of whole
    lines is in doubt, which the careful path reads alone; None where the bytes themselves
    are (not the declared encoding, a quoted value spanning lines), and the careful path
    reads on to the end."""

    def __init__(self, at: tuple[int, int, int] | None = None) -> None:
        super().__init__()
        self.at = at


class _ChunkDoubt(Exception):
    """pyarrow did not read the chunk of whole lines from stream position `start` to `end`."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__()
        self.start, self.end = start, end


_ARROW_CHUNK_BYTES = 8 << 20


_TAIL_BYTES = 1 << 18
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def chunks(
    stream: BinaryIO,
    origin: int,
    table: Table,
    rows: int,
    warnings: list[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """The needed columns, at most `rows` rows at a time; the frame's index counts data rows.
    Numeric columns come as float64 from the fast path and as text from the careful one; the
    converters below take either. A torn last row is left out and, once the rows are read,
    named in `warnings`."""
    end = torn_tail(stream, origin, table)
    if end is not None:
        stream = Bounded(stream, end[0])  # type: ignore[assignment]
    handed = 0
    for frame in _chunks(stream, origin, table, rows):
        handed = int(frame.index[-1]) + 1
        yield frame
    if end is not None and warnings is not None:
        line = table.line + handed
        warnings.append(
            f"{table.vendor}, line {line}: the last row is incomplete ({end[1]}): the file was "
            "probably cut off while it was written or copied; that row was left out"
        )


def _chunks(stream: BinaryIO, origin: int, table: Table, rows: int) -> Iterator[pd.DataFrame]:
    """The fast path, and at a chunk it doubts for a value, the careful path on that chunk
    alone, then the fast path again: a valid file with an odd row stays columnar, and a bad
    value far into a file is named without reading the file again as text. Where the
    careful path refuses the chunk itself (its parser's message would count lines from the
    chunk), or the bytes are in doubt, the careful path reads the file from its start."""
    handed = 0  # rows handed over: the next frame's first index
    position = origin + table.offset
    while True:
        try:
            for frame in _fast_chunks(stream, position, table, rows, handed):
                yield frame
                handed = int(frame.index[-1]) + 1
            return
        except _Doubt as doubt:
            if doubt.at is None:
                break
            start, end, first = doubt.at
        stream.seek(start)
        piece = io.BytesIO(stream.read(end - start))
        try:
            for frame in _careful_chunks(piece, 0, replace(table, offset=0), rows):
                frame.index = frame.index + first
                yield from _after(frame, handed)
                handed = max(handed, int(frame.index[-1]) + 1)
        except TestDataError:
            break
        position = end
    for frame in _careful_chunks(stream, origin, table, rows):
        yield from _after(frame, handed)


def _after(frame: pd.DataFrame, handed: int) -> Iterator[pd.DataFrame]:
    """The rows of `frame` from row `handed` on (none if it ends before)."""
    if frame.index[-1] >= handed:
        yield frame.loc[handed:] if frame.index[0] < handed else frame


def _fast_chunks(
    stream: BinaryIO, start: int, table: Table, rows: int, first_row: int
) -> Iterator[pd.DataFrame]:
    """Chunks of whole lines from stream position `start` (row `first_row` of the table),
    parsed by pyarrow one ahead, in a thread (csv_chunks.read_ahead): on two cores the next
    chunk is parsed while this one is measured. When this generator stops, for any reason,
    that thread has stopped reading the stream."""
    stream.seek(start)
    roles = {index: role for role, index in table.columns.items()}
    read_options = pacsv.ReadOptions(
        column_names=[str(i) for i in range(table.width)], encoding=table.encoding
    )
    # Tab-separated exports quote nothing: a quote there is a plain character, for the
    # careful path (QUOTE_NONE) as for pyarrow.
    quoting = table.sep != "\t"
    parse_options = pacsv.ParseOptions(delimiter=table.sep, quote_char='"' if quoting else False)
    convert_options = pacsv.ConvertOptions(
        include_columns=[str(i) for i in sorted(roles)],
        column_types={
            str(index): pa.string() if role in table.text_roles else pa.float64()
            for index, role in roles.items()
        },
        # "3,7051" as a German-locale export writes it. A value pyarrow does not read so (a
        # point, a thousands mark) sends the rest to the careful path, which decides.
        decimal_point="," if table.comma else ".",
    )

    def parsed() -> Iterator[tuple[int, int, pa.Table]]:
        chunks = line_chunks(stream, _ARROW_CHUNK_BYTES, check_utf8=False, quoting=quoting)
        for position, chunk in chunks:
            try:
                read = pacsv.read_csv(
                    pa.py_buffer(chunk),
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise _ChunkDoubt(position, position + len(chunk)) from exc
            yield position, position + len(chunk), read

    done = first_row
    chunks = read_ahead(parsed())
    try:
        for position, end, parsed_chunk in chunks:
            chunk_first = done
            whole = parsed_chunk.combine_chunks()  # pyarrow splits a chunk among its threads
            for batch in whole.to_batches(max_chunksize=max(rows, 1)):
                try:
                    frame = _frame(batch, roles, table, done)
                except _Doubt:
                    raise _Doubt((position, end, chunk_first)) from None
                yield frame
                done += batch.num_rows
    except _ChunkDoubt as doubt:
        raise _Doubt((doubt.start, doubt.end, done)) from doubt
    except (Doubt, pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError) as exc:
        raise _Doubt from exc
    finally:
        chunks.close()  # stops the read-ahead thread before anyone seeks the stream again


def _frame(batch: pa.RecordBatch, roles: dict[int, str], table: Table, done: int) -> pd.DataFrame:
    columns = {}
    for index, role in roles.items():
        column = batch.column(str(index))
        if role in table.text_roles:
            # As an array: a Series would be aligned on its own 0-based index.
            columns[role] = column.to_pandas().to_numpy(dtype=object)
            continue
        if role not in table.optional_roles and (
            column.null_count or not pc.all(pc.is_finite(column)).as_py()
        ):
            raise _Doubt  # the careful path names the line and shows the text
        columns[role] = column.to_numpy(zero_copy_only=False)
    return pd.DataFrame(columns, index=pd.RangeIndex(done, done + batch.num_rows))


def _careful_chunks(
    stream: BinaryIO, origin: int, table: Table, rows: int
) -> Iterator[pd.DataFrame]:
    """The needed columns as text, `rows` rows at a time; the frame's index counts data rows."""
    stream.seek(origin + table.offset)
    try:
        reader = pd.read_csv(
            stream,
            sep=table.sep,
            header=None,
            names=list(range(table.width)),
            usecols=sorted(set(table.columns.values())),
            index_col=False,  # a trailing separator on every row is not an index column
            dtype=str,
            na_filter=False,
            chunksize=rows,
            encoding=table.encoding,
            encoding_errors="replace",
            quoting=csv.QUOTE_NONE if table.sep == "\t" else csv.QUOTE_MINIMAL,
            engine="c",
        )
        with reader:
            for frame in reader:
                if len(frame):
                    yield frame.rename(columns={i: role for role, i in table.columns.items()})
    except pd.errors.EmptyDataError:
        return  # the reader reports "no data rows"
    except (pd.errors.ParserError, ValueError, UnicodeError, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TestDataError(
            f"{table.vendor}: the rows cannot be read as a table ({message})"
        ) from None


def _fields(line: bytes, table: Table) -> list[str]:
    text = line.decode(table.encoding, "replace")
    if table.sep == "\t":
        return text.split("\t")
    return next(csv.reader([text], delimiter=table.sep), [])


def torn_tail(stream: BinaryIO, origin: int, table: Table) -> tuple[int, str] | None:
    """(absolute byte offset where the last row starts, what is wrong with it) when the file's
    last row is torn: no line end, and fewer fields than the row before it or its last field
    cut short."""
    start = origin + table.offset
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    begin = max(start, size - _TAIL_BYTES)
    stream.seek(begin)
    tail = stream.read(size - begin)
    stream.seek(start)
    if not isinstance(tail, bytes):
        return None
    lines = [m for m in re.finditer(rb"[^\r\n]*(?:\r\n|\r|\n|$)", tail) if m.group().strip()]
    if len(lines) < 2 or (begin > start and lines[0].start() == 0):
        lines = lines[1:] if len(lines) > 2 else []  # the first may be a part of a line
    if len(lines) < 2:
        return None
    last, before = lines[-1], lines[-2]
    if last.group().endswith((b"\n", b"\r")):
        return None  # a row cut off inside has no line end
    fields, previous = (
        _fields(last.group().rstrip(b"\r\n"), table),
        _fields(before.group().rstrip(b"\r\n"), table),
    )
    offset = begin + last.start()
    if len(fields) < len(previous) and any(f.strip() for f in previous[len(fields) :]):
        return offset, f"{len(fields)} of {len(previous)} fields"
    if not fields or len(fields) > len(previous):
        return None  # not a shorter row: whatever is wrong with it, the row's reader says
    # a row cut inside its last field: a number there before, not a number now
    value, reference = fields[-1].strip(), previous[len(fields) - 1].strip()
    if table.comma:
        value, reference = value.replace(",", "."), reference.replace(",", ".")
    if _NUMBER.match(reference) and not _NUMBER.match(value):
        return offset, f"its last field is {value[:20]!r}, not a number"
    return None


class Bounded(io.RawIOBase):
    """The stream, ending at byte `end`: the rows before a torn last row."""

    def __init__(self, stream: BinaryIO, end: int) -> None:
        super().__init__()
        self._stream, self._end = stream, end

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            return self._stream.seek(self._end + offset)
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        left = self._end - self._stream.tell()
        if left <= 0:
            return 0
        whole = memoryview(buffer).cast("B")
        view = whole[: min(len(whole), left)]
        data = self._stream.read(len(view))
        view[: len(data)] = data
        return len(data)
