"""The pure-Python canonical CSV reader, extended to cell voltage columns: the reference.

`canonical_csv.CanonicalCsv` stays untouched and remains the specification of every message;
`CellCsv` adds the optional ``cell_1_v`` ... ``cell_n_v`` columns (or ``cell_1_mv`` ...), which
the plain reader lists as ignored, and refuses cycle/step numbers too big for int64. The fast
reader falls back to this one, and tests compare the two.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from .canonical_csv import _COLUMNS, CanonicalCsv, Sample, _clip, _Column, _text_lines
from .errors import TestDataError, row_error
from .testdata import Batch, TestData

FORMAT = "canonical_csv"
# Lines looked at to tell the dialect: the header and the line after it must be among them.
DIALECT_LINES = 10_000
MAX_CELL_VOLTAGE_V = 10.0  # above every cell chemistry, below any millivolt reading
_CELL_NAME = re.compile(r"cell_(\d+)_(v|mv)")
_INT64 = 2**63


@dataclass(frozen=True)
class Resume:
    """Where a second pass over part of a file starts: `offset`, a byte position in the stream
    at the start of a line, is line `line` + 1 of the file; `header` holds the file's lines up to
    and including its header; the rows before `offset` were read already, `rows_read` of them,
    the last at `previous_time` (seconds, and the value as written), None if there were none."""

    offset: int
    line: int
    header: tuple[str, ...]
    previous_time: tuple[float, float] | None
    rows_read: int
    semicolons: bool = False  # the file's dialect, as its head told it


class _Renumbered:
    """A csv reader whose line numbers count from a line further into the file."""

    def __init__(self, reader: Iterator[list[str]], before: int) -> None:
        self._reader = reader
        self._before = before

    def __iter__(self) -> _Renumbered:
        return self

    def __next__(self) -> list[str]:
        return next(self._reader)

    @property
    def line_num(self) -> int:
        return self._before + self._reader.line_num  # type: ignore[attr-defined]


class CellCsv(CanonicalCsv):
    """The slow reader plus cell voltage columns, int64-sized cycle/step numbers and the
    semicolon dialect (`semicolon_dialect`): fields separated by ';', numbers with a decimal
    comma. `semicolons` None tells the dialect from the first lines."""

    cells: tuple[_Column, ...] = ()
    cell_values: tuple[float, ...] = ()

    def __init__(self, lines: Iterable[str], semicolons: bool | None = None) -> None:
        if semicolons is None:
            lines = iter(lines)
            first = dialect_lines(lines)
            semicolons = semicolon_dialect(first)
            lines = itertools.chain(first, lines)
        self.semicolons = semicolons
        super().__init__(lines, delimiter=";" if semicolons else ",")

    def _number_text(self, text: str) -> str:
        if not self.semicolons:
            return text
        return "x" if "." in text else text.replace(",", ".")  # a decimal comma, never a point

    @property
    def previous_time(self) -> tuple[float, float] | None:
        """The last row's time: seconds, and the value as written."""
        return self._previous_time

    def resume(self, lines: Iterable[str], at: Resume) -> None:
        """Read the rows from `lines`, the file from `at.offset` on, as if every row before
        them had been read by this parser: same line numbers, same time order, same checks."""
        delimiter = ";" if self.semicolons else ","
        self._reader = _Renumbered(csv.reader(self._remember(lines), delimiter=delimiter), at.line)
        self._previous_time = at.previous_time
        self.rows_read = at.rows_read

    @property
    def width(self) -> int:
        """Fields per row, as the header has them."""
        return self._width

    @property
    def columns(self) -> dict[str, _Column]:
        """Quantity (or cell column name) -> where it is and how to convert it."""
        return self._columns

    def _read_header(self, header: list[str]) -> dict[str, _Column]:
        columns = super()._read_header(header)
        names = [name.strip().lower().lstrip("\ufeff").strip() for name in header]
        self.cells = _cell_columns(names)
        if self.cells:
            self.warnings[:] = [w for w in self.warnings if not w.startswith("ignored column")]
            self.warnings.extend(_ignored_warning(names))
            columns.update((cell.name, cell) for cell in self.cells)
        return columns

    def _sample(self, fields: list[str], row: int) -> Sample:
        sample = super()._sample(fields, row)
        for name, value in (("cycle", sample.cycle), ("step", sample.step)):
            if not -_INT64 <= value < _INT64:
                raise row_error(row, f"{name} is out of range ({_clip(str(value))})")
        self.cell_values = tuple(self._cell(fields, cell, row) for cell in self.cells)
        return sample

    def _cell(self, fields: list[str], cell: _Column, row: int) -> float:
        if not fields[cell.index].strip():
            return math.nan  # a BMS may miss a cell now and then
        _, text, raw = self._raw(fields, cell.name, row)
        volts = raw * cell.multiplier / cell.divisor
        if volts < 0:
            hint = "a battery voltage is never negative"
            raise row_error(row, f"{cell.name} is {_clip(text)}; {hint}")
        if volts > MAX_CELL_VOLTAGE_V:
            if cell.unit == "V" and raw / 1000 <= MAX_CELL_VOLTAGE_V:
                stem = cell.name[: -len("_v")]
                hint = f"that looks like millivolts: name the column {stem}_mv or convert to volts"
            else:
                hint = f"above the {MAX_CELL_VOLTAGE_V:g} V of any cell"
            raise row_error(row, f"{cell.name} is {_clip(text)}; {hint}")
        return volts


def dialect_lines(lines: Iterator[str]) -> list[str]:
    """The lines `semicolon_dialect` looks at, taken from `lines`: up to the one after the first
    non-blank line, at most DIALECT_LINES."""
    taken: list[str] = []
    header = False
    for line in lines:
        taken.append(line)
        if header or len(taken) == DIALECT_LINES:
            break
        header = bool(line.strip())
    return taken


def semicolon_dialect(lines: Iterable[str]) -> bool:
    """Whether a file starting with `lines` (physical lines, their ends included) is the
    European spreadsheet export: fields separated by ';' because numbers use a decimal comma.
    So the first non-blank line names the canonical columns when split at ';' (and is one field
    when split at ','), and the line after it holds ';' and no decimal point. A ';' file whose
    numbers use a decimal point is no such export and is refused as comma-separated text would
    be, naming the semicolons."""
    head = list(itertools.islice(lines, DIALECT_LINES))
    at = next((i for i, line in enumerate(head) if line.strip()), None)
    if at is None or at + 1 >= len(head):
        return False
    header, row = head[at], head[at + 1]
    if ";" not in row or "." in row or len(next(csv.reader([header]), [])) != 1:
        return False
    names = {
        name.strip().lower().lstrip("\ufeff").strip()
        for name in next(csv.reader([header], delimiter=";"), [])
    }
    quantities = {_COLUMNS[name][0] for name in names if name in _COLUMNS}
    return {"time_s", "current_a", "voltage_v", "cycle", "step"} <= quantities


def _cell_columns(names: list[str]) -> tuple[_Column, ...]:
    found: dict[int, _Column] = {}
    for index, name in enumerate(names):
        match = _CELL_NAME.fullmatch(name)
        if not match:
            continue
        number = int(match.group(1))
        if number in found:
            other = found[number].name
            if other == name:
                raise TestDataError(f"column {name} appears twice; keep one")
            raise TestDataError(f"both {other} and {name} are present; keep one")
        unit, divisor = ("V", 1.0) if match.group(2) == "v" else ("mV", 1000.0)
        found[number] = _Column(index, name, unit, 1.0, divisor)
    if not found:
        return ()
    for number in range(1, len(found) + 1):
        if number not in found:
            raise TestDataError(
                f"cell voltage columns must be numbered from 1 without gaps; cell_{number}_v "
                "is missing"
            )
    if len({cell.unit for cell in found.values()}) > 1:
        raise TestDataError("cell voltage columns mix V and mV; use one unit for all cells")
    return tuple(found[number] for number in range(1, len(found) + 1))


def _ignored_warning(names: list[str]) -> list[str]:
    # Same wording as the slow reader, minus the cell columns this reader understands.
    ignored = [
        _clip(name) if name else f"(unnamed column {index + 1})"
        for index, name in enumerate(names)
        if name not in _COLUMNS and not _CELL_NAME.fullmatch(name)
    ]
    if not ignored:
        return []
    more = f" and {len(ignored) - 10} more" if len(ignored) > 10 else ""
    return [f"ignored column(s) not in the canonical CSV: {', '.join(ignored[:10])}{more}"]


def cell_key(number: int) -> str:
    return f"cell_{number}_v"  # batches hold volts whatever the file's unit


def units(parser: CellCsv) -> dict[str, str]:
    units = parser.units.to_dict()
    if parser.cells:
        units["cell_voltage"] = parser.cells[0].unit
    if "capacity_counter_ah" in parser.columns:
        units["capacity_counter"] = "Ah"
    return units


def named(parser: CellCsv) -> dict[str, str]:
    """TestData.columns: the file's own names for current, voltage and the counter."""
    found = {
        "current": parser.columns["current_a"].name,
        "voltage": parser.columns["voltage_v"].name,
    }
    if "capacity_counter_ah" in parser.columns:
        found["capacity_counter"] = "capacity_counter_ah"
    return found


def read_canonical_python(stream: BinaryIO, batch_rows: int = 250_000) -> TestData:
    """The same, read by the pure-Python reader: the reference, and the fallback."""
    origin = stream.tell()
    parser = CellCsv(_text_lines(stream))
    stream.seek(origin)

    def batches() -> Iterator[Batch]:
        return slow_batches(stream, origin, batch_rows, skip=0, warnings=parser.warnings)

    return TestData(FORMAT, units(parser), batches, warnings=parser.warnings, columns=named(parser))


def slow_batches(
    stream: BinaryIO,
    origin: int,
    batch_rows: int,
    skip: int,
    warnings: list[str] | None = None,
    resume: Resume | None = None,
) -> Generator[Batch, None, tuple[tuple[float, float] | None, int]]:
    """Batches from the pure-Python reader; a torn last row's warning goes to `warnings`. With
    `resume`, only the rows from resume.offset on, read as the whole file's reader reads them.
    Returns the time of the last row read (seconds, and as written) and the rows read in all
    (resume.rows_read included)."""
    if resume is None:
        stream.seek(origin)
        parser = CellCsv(_text_lines(stream))
    else:
        parser = CellCsv(iter(resume.header), semicolons=resume.semicolons)
        stream.seek(resume.offset)
        rest = _text_lines(stream, first_line=resume.line + 1, file_start=False)
        parser.resume(rest, resume)
    has_temperature = "temperature_c" in parser.columns
    has_counter = "capacity_counter_ah" in parser.columns
    header_warnings = len(parser.warnings)
    cells = [cell_key(number) for number in range(1, len(parser.cells) + 1)]
    rows: list[tuple] = []
    for number, sample in enumerate(parser):
        if number < skip:
            continue
        temperature = math.nan if sample.temperature_c is None else sample.temperature_c
        counter = math.nan if sample.capacity_counter_ah is None else sample.capacity_counter_ah
        rows.append(
            (
                sample.time_s,
                sample.current_a,
                sample.voltage_v,
                temperature,
                sample.cycle,
                sample.step,
                counter,
                *parser.cell_values,
            )
        )
        if len(rows) == batch_rows:
            yield _batch(rows, has_temperature, cells, has_counter)
            rows = []
    if rows:
        yield _batch(rows, has_temperature, cells, has_counter)
    if warnings is not None:
        warnings.extend(parser.warnings[header_warnings:])
    return parser.previous_time, parser.rows_read


def _batch(
    rows: list[tuple], has_temperature: bool, cells: list[str], has_counter: bool = False
) -> Batch:
    columns = list(zip(*rows, strict=True))
    batch = {
        "time_s": np.array(columns[0], dtype=np.float64),
        "current_a": np.array(columns[1], dtype=np.float64),
        "voltage_v": np.array(columns[2], dtype=np.float64),
        "cycle": np.array(columns[4], dtype=np.int64),
        "step": np.array(columns[5], dtype=np.int64),
    }
    if has_temperature:
        batch["temperature_c"] = np.array(columns[3], dtype=np.float64)
    if has_counter:
        batch["capacity_counter_ah"] = np.array(columns[6], dtype=np.float64)
    for index, name in enumerate(cells):
        batch[name] = np.array(columns[7 + index], dtype=np.float64)
    return batch
