"""The canonical CSV: the one documented text format every supplier can produce.

Parsing is strict and streaming: a file that cannot be read exactly as documented fails with a
TestDataError that names the line, because a silently misread unit or sign would become a wrong
SOH on a listing that buyers trust.
"""

import codecs
import csv
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import BinaryIO

from .errors import TestDataError, row_error

CANONICAL_COLUMNS: tuple[str, ...] = ("time_s", "current_a", "voltage_v", "cycle", "step")
# capacity_counter_ah: the cycler's own capacity counter, a magnitude in Ah (it may reset at
# step or cycle starts); it is checked against the integrated current.
OPTIONAL_COLUMNS: tuple[str, ...] = ("temperature_c", "capacity_counter_ah")
MAX_PACK_VOLTAGE_V = 1500.0
MAX_CURRENT_A = 5000.0
# A canonical line is a few dozen characters; the cap keeps a file without newlines from being
# read into memory whole.
MAX_LINE_CHARS = 100_000

_EXPECTED = ", ".join(CANONICAL_COLUMNS)
NOT_UTF8_MESSAGE = (
    "the file is not UTF-8 text; expected the canonical CSV "
    f"(comma-separated text with a header row naming {_EXPECTED})"
)

# header name -> (quantity, unit as recorded in Units, multiplier, divisor). Milli units divide
# so that e.g. 3300 mV becomes exactly 3.3 V and converted files give identical figures.
_COLUMNS: dict[str, tuple[str, str, float, float]] = {
    "time_s": ("time_s", "s", 1.0, 1.0),
    "time_ms": ("time_s", "ms", 1.0, 1000.0),
    "time_min": ("time_s", "min", 60.0, 1.0),
    "time_h": ("time_s", "h", 3600.0, 1.0),
    "current_a": ("current_a", "A", 1.0, 1.0),
    "current_ma": ("current_a", "mA", 1.0, 1000.0),
    "voltage_v": ("voltage_v", "V", 1.0, 1.0),
    "voltage_mv": ("voltage_v", "mV", 1.0, 1000.0),
    "temperature_c": ("temperature_c", "C", 1.0, 1.0),
    "capacity_counter_ah": ("capacity_counter_ah", "Ah", 1.0, 1.0),
    "cycle": ("cycle", "", 1.0, 1.0),
    "step": ("step", "", 1.0, 1.0),
}
_LINE_END = re.compile(r"\r\n|\r|\n")
# What is left of a number cut short: nothing, '3.', '-', '1.5E-'.
_NUMBER_START = re.compile(r"[-+]?(\d+\.?\d*|\.\d*)?([eE][-+]?\d*)?")


@dataclass(frozen=True, slots=True)
class Sample:
    time_s: float
    current_a: float
    voltage_v: float
    temperature_c: float | None
    cycle: int
    step: int
    capacity_counter_ah: float | None = None


@dataclass(frozen=True)
class Units:
    """The units the file was written in; samples are always converted to s, A and V."""

    time: str = "s"
    current: str = "A"
    voltage: str = "V"
    discharge_sign: str = "negative"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    name: str
    unit: str
    multiplier: float
    divisor: float


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


class CanonicalCsv:
    """Iterate to get Samples; the header is checked as soon as the object is made."""

    def __init__(self, lines: Iterable[str], delimiter: str = ",") -> None:
        self._last_line = ""
        self._reader = csv.reader(self._remember(lines), delimiter=delimiter)
        self._started = False
        self._previous_time: tuple[float, float] | None = None
        self.warnings: list[str] = []
        self.rows_read = 0
        header = self._next_fields()
        if header is None:
            raise TestDataError("the file is empty")
        self._width = len(header)
        self._columns = self._read_header(header)
        self.units = Units(
            time=self._columns["time_s"].unit,
            current=self._columns["current_a"].unit,
            voltage=self._columns["voltage_v"].unit,
        )

    def _next_fields(self) -> list[str] | None:
        while True:
            try:
                fields = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                row = self._reader.line_num
                raise row_error(row, f"not readable as CSV ({_clip(str(exc), 80)})") from None
            if not _is_blank(fields):
                return fields

    def _read_header(self, header: list[str]) -> dict[str, _Column]:
        names = [name.strip().lower().lstrip("\ufeff").strip() for name in header]
        columns: dict[str, _Column] = {}
        ignored: list[str] = []
        for index, name in enumerate(names):
            if name not in _COLUMNS:
                ignored.append(_clip(name) if name else f"(unnamed column {index + 1})")
                continue
            quantity, unit, multiplier, divisor = _COLUMNS[name]
            if quantity in columns:
                other = columns[quantity].name
                if other == name:
                    raise TestDataError(f"column {name} appears twice; keep one")
                raise TestDataError(f"both {other} and {name} are present; keep one")
            columns[quantity] = _Column(index, name, unit, multiplier, divisor)
        missing = [name for name in CANONICAL_COLUMNS if name not in columns]
        if missing:
            message = f"missing column(s): {', '.join(missing)} (expected {_EXPECTED})"
            joined = ",".join(header)
            for delimiter, label in ((";", "semicolons"), ("\t", "tabs")):
                if len(header) == 1 and delimiter in joined:
                    message += f"; the header is separated by {label}, but the file must use commas"
            raise TestDataError(message)
        if ignored:
            shown = ", ".join(ignored[:10])
            more = f" and {len(ignored) - 10} more" if len(ignored) > 10 else ""
            self.warnings.append(f"ignored column(s) not in the canonical CSV: {shown}{more}")
        return columns

    def __iter__(self) -> Iterator[Sample]:
        """Samples; a torn last row (the file cut off inside it while it was written or copied:
        no line end, and fewer fields or a number cut short) is left out with a warning. The
        same row anywhere else is an error."""
        if self._started:
            raise RuntimeError("a CanonicalCsv streams its input and can be read only once")
        self._started = True
        while (fields := self._next_fields()) is not None:
            row = self._reader.line_num
            try:
                sample = self._sample(fields, row)
            except TestDataError:
                if not self._torn(fields) or self._next_fields() is not None:
                    raise
                self.warnings.append(
                    f"row {row}: the last row is incomplete ({len(fields)} of {self._width} "
                    "fields, or a number cut short): the file was probably cut off while it "
                    "was written or copied; that row was left out"
                )
                break
            self.rows_read += 1
            yield sample
        if self.rows_read == 0:
            raise TestDataError("no data rows after the header")

    def _number_text(self, text: str) -> str:
        """A field's text as float() should read it: as written (numbers use a decimal point)."""
        return text

    def _remember(self, lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            self._last_line = line
            yield line

    def _torn(self, fields: list[str]) -> bool:
        """The row has no line end (the file ends inside it) and fewer fields than the header
        or a last field that is the start of a number but not one (empty, '-', '1.5E-')."""
        if self._last_line.endswith(("\n", "\r")):
            return False
        if len(fields) < self._width:
            return True
        last = self._number_text(fields[-1].strip())
        if not _NUMBER_START.fullmatch(last):
            return False
        try:
            float(last)
        except ValueError:
            return True  # '', '-', '1.5E-': a number cut short
        return False

    def _sample(self, fields: list[str], row: int) -> Sample:
        if len(fields) != self._width:
            raise row_error(row, f"expected {self._width} fields, found {len(fields)}")
        temperature = counter = None
        if "temperature_c" in self._columns:
            temperature = self._number(fields, "temperature_c", row, optional=True)
        if "capacity_counter_ah" in self._columns:
            counter = self._number(fields, "capacity_counter_ah", row, optional=True)
            counter = None if counter is None else abs(counter)
        return Sample(
            time_s=self._time(fields, row),
            current_a=self._current(fields, row),
            voltage_v=self._voltage(fields, row),
            temperature_c=temperature,
            cycle=self._integer(fields, "cycle", row),
            step=self._integer(fields, "step", row),
            capacity_counter_ah=counter,
        )

    def _raw(self, fields: list[str], quantity: str, row: int) -> tuple[_Column, str, float]:
        column = self._columns[quantity]
        text = fields[column.index].strip()
        if not text:
            raise row_error(row, f"{column.name} is empty")
        try:
            # float() accepts "1_000"; a canonical number never contains "_".
            value = float("x" if "_" in text else self._number_text(text))
        except ValueError:
            raise row_error(row, f"{column.name} is not a number ({_clip(text)!r})") from None
        if not math.isfinite(value):
            raise row_error(row, f"{column.name} is not a finite number ({_clip(text)!r})")
        return column, text, value

    def _number(
        self, fields: list[str], quantity: str, row: int, optional: bool = False
    ) -> float | None:
        if optional and not fields[self._columns[quantity].index].strip():
            return None
        column, _, value = self._raw(fields, quantity, row)
        return value * column.multiplier / column.divisor

    def _integer(self, fields: list[str], quantity: str, row: int) -> int:
        column = self._columns[quantity]
        text = fields[column.index].strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            value = float("x" if "_" in text else self._number_text(text))
        except ValueError:
            value = math.nan
        if not value.is_integer():
            raise row_error(row, f"{column.name} is not an integer ({_clip(text)!r})")
        return int(value)

    def _time(self, fields: list[str], row: int) -> float:
        column, _, raw = self._raw(fields, "time_s", row)
        seconds = raw * column.multiplier / column.divisor
        if self._previous_time is not None and seconds < self._previous_time[0]:
            before = self._previous_time[1]
            raise row_error(row, f"{column.name} goes backwards ({raw!r} after {before!r})")
        self._previous_time = (seconds, raw)
        return seconds

    def _current(self, fields: list[str], row: int) -> float:
        column, text, raw = self._raw(fields, "current_a", row)
        amps = raw * column.multiplier / column.divisor
        if abs(amps) > MAX_CURRENT_A:
            if column.unit == "A" and abs(raw) / 1000 <= MAX_CURRENT_A:
                hint = "that looks like milliamps: name the column current_ma or convert to amps"
            else:
                hint = f"beyond the {MAX_CURRENT_A:g} A a battery pack can carry"
            raise row_error(row, f"{column.name} is {_clip(text)}; {hint}")
        return amps

    def _voltage(self, fields: list[str], row: int) -> float:
        column, text, raw = self._raw(fields, "voltage_v", row)
        volts = raw * column.multiplier / column.divisor
        if volts < 0:
            hint = "a battery voltage is never negative"
            raise row_error(row, f"{column.name} is {_clip(text)}; {hint}")
        if volts > MAX_PACK_VOLTAGE_V:
            if column.unit == "V" and raw / 1000 <= MAX_PACK_VOLTAGE_V:
                hint = "that looks like millivolts: name the column voltage_mv or convert to volts"
            else:
                hint = f"above the {MAX_PACK_VOLTAGE_V:g} V of any battery pack"
            raise row_error(row, f"{column.name} is {_clip(text)}; {hint}")
        return volts


def _text_lines(
    stream: BinaryIO, chunk_size: int = 1 << 16, *, first_line: int = 1, file_start: bool = True
) -> Iterator[str]:
    """Decode in chunks and split lines ourselves, so that any object with read() will do (Django
    File, storage handle, BytesIO) and a line can never grow past MAX_LINE_CHARS in memory.
    A stream positioned inside the file (file_start=False) has no byte order mark to drop, and
    its first line is line `first_line` of the file."""
    decoder = codecs.getincrementaldecoder("utf-8-sig" if file_start else "utf-8")()
    pending = ""
    line_number = first_line
    while True:
        chunk = stream.read(chunk_size)
        try:
            text = chunk if isinstance(chunk, str) else decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise TestDataError(NOT_UTF8_MESSAGE) from None
        pending += text
        start = 0
        for match in _LINE_END.finditer(pending):
            if chunk and match.end() == len(pending) and match.group() == "\r":
                break  # its "\n" may start the next chunk
            yield pending[start : match.start()] + "\n"
            start = match.end()
            line_number += 1
        pending = pending[start:]
        if len(pending) > MAX_LINE_CHARS:
            raise row_error(
                line_number,
                f"the line is longer than {MAX_LINE_CHARS} characters; "
                "this is not the canonical CSV",
            )
        if not chunk:
            break
    if pending:
        yield pending
