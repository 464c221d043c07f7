"""What the vendor readers share: finding a header in the first bytes, turning columns into
numbers with errors that name the line, and the range checks every batch passes before the
figures engine sees it. Streaming the rows is _rows.py's.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import TestDataError
from ..testdata import Batch

# Re-exported: the readers know these as c.HEAD_BYTES, c.split_fields, ...
from ._headers import HEAD_BYTES as HEAD_BYTES
from ._headers import head_lines as head_lines
from ._headers import name_and_unit as name_and_unit
from ._headers import split_fields as split_fields
from ._rows import Table

MAX_VOLTAGE_V = 1500.0  # above any pack; a larger "volts" value is almost always millivolts
MIN_VOLTAGE_V = -0.01  # instrument offset on a cell at 0 V, not a reversed battery
MAX_CURRENT_A = 5000.0
# Seconds with a decimal point, or a comma where the table's numbers have one (a German-locale
# export writes "0d 00:00:5,05").
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d\s*)?(\d+):(\d+):(\d+(?:\.\d*)?)\s*$")
_DURATION_COMMA = re.compile(r"^\s*(?:(\d+)\s*d\s*)?(\d+):(\d+):(\d+(?:,\d*)?)\s*$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+(?:[eE][-+]?\d+)?$")


def data_start(lines: list[tuple[int, int, str]], header: int) -> tuple[int, int]:
    """Byte offset and 1-based line number of the first non-blank line after line `header`
    (0-based index): some exports put a blank line between the header and the data."""
    for index in range(header + 1, len(lines)):
        if lines[index][2].strip():
            return lines[index][0], index + 1
    end = lines[header][1]
    return end, header + 2


def decimal_comma(fields: list[str]) -> bool:
    """True when numbers in a (tab- or semicolon-separated) row use a decimal comma."""
    return any(_DECIMAL_COMMA.match(f) for f in fields) and not any(
        re.fullmatch(r"-?\d+\.\d+", f) for f in fields
    )


def line_of(table: Table, frame: pd.DataFrame, position: int) -> int:
    return table.line + int(frame.index[position])


def numbers(table: Table, frame: pd.DataFrame, role: str, label: str) -> np.ndarray:
    """Column `role` as float64; TestDataError naming the line of the first value that is not a
    finite number."""
    values = _as_floats(table, frame[role])
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise _bad_value(table, frame, role, label, int(bad[0]))
    return values


def optional_numbers(table: Table, frame: pd.DataFrame, role: str) -> np.ndarray:
    """Like `numbers`, with NaN for blank or unreadable values (an optional sensor column)."""
    return _as_floats(table, frame[role])


def _as_floats(table: Table, column: pd.Series) -> np.ndarray:
    """float64, NaN where a text value is not a number."""
    if pd.api.types.is_float_dtype(column.dtype):
        return column.to_numpy(np.float64)
    text = column.astype(str)
    if table.comma:
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(np.float64)


def integers(table: Table, frame: pd.DataFrame, role: str, label: str) -> np.ndarray:
    values = numbers(table, frame, role, label)
    bad = np.flatnonzero(values != np.round(values))
    if bad.size:
        raise _bad_value(table, frame, role, label, int(bad[0]), "not a whole number")
    return values.astype(np.int64)


def durations(table: Table, frame: pd.DataFrame, role: str, label: str) -> np.ndarray:
    """Seconds from '[Nd ]H:MM:SS[.f]' text (hours may pass 24: Neware '144:00:18')."""
    parts = frame[role].str.extract(_DURATION_COMMA if table.comma else _DURATION)
    bad = np.flatnonzero(parts[1].isna().to_numpy())
    if bad.size:
        mark = "," if table.comma else "."
        expected = f"a duration like '0d 01:16:32{mark}15' or '144:00:18'"
        raise _bad_value(table, frame, role, label, int(bad[0]), f"not {expected}")
    if table.comma:
        parts[3] = parts[3].str.replace(",", ".", regex=False)
    days = pd.to_numeric(parts[0], errors="coerce").fillna(0).to_numpy(np.float64)
    hours, minutes, seconds = (parts[i].astype(np.float64).to_numpy() for i in (1, 2, 3))
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _bad_value(
    table: Table, frame: pd.DataFrame, role: str, label: str, at: int, what: str = ""
) -> TestDataError:
    line = line_of(table, frame, at)
    value = frame[role].iloc[at]
    if isinstance(value, str):
        raw = value.strip()
    elif isinstance(value, float | int | np.number) and np.isfinite(value):
        raw = f"{value:g}"  # from the fast path, which only hands over finite numbers
    else:
        raw = ""
    if not raw:
        return TestDataError(
            f"{table.vendor}, line {line}: no value in '{label}' (the field is empty or the row "
            "is shorter than the header); every data row needs one: fill it in or export the "
            "file again",
            row=line,
        )
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    return TestDataError(
        f"{table.vendor}, line {line}: '{label}' is {shown!r}, {what or 'not a number'}", row=line
    )


def checked_batch(
    vendor: str,
    first_line: int,
    time_s: np.ndarray,
    current_a: np.ndarray,
    voltage_v: np.ndarray,
    cycle: np.ndarray,
    step: np.ndarray,
    temperature_c: np.ndarray | None = None,
    capacity_counter_ah: np.ndarray | None = None,
) -> Batch:
    """The canonical batch, after the range checks that catch a unit slip; `first_line` is the
    line (or record) number of the batch's first row, for messages. `capacity_counter_ah` is
    the cycler's own counter, already a magnitude in Ah (see `counter`)."""
    for values, label in ((time_s, "time"), (current_a, "current"), (voltage_v, "voltage")):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            line = first_line + int(bad[0])
            raise TestDataError(f"{vendor}, row {line}: {label} is missing or not finite", row=line)
    high = np.flatnonzero((voltage_v > MAX_VOLTAGE_V) | (voltage_v < MIN_VOLTAGE_V))
    if high.size:
        line, volts = first_line + int(high[0]), float(voltage_v[high[0]])
        hint = (
            "negative, and a battery's voltage never is: check the voltage column and the "
            "polarity of the connection"
            if volts < 0
            else f"above the {MAX_VOLTAGE_V:g} V of any pack; that looks like millivolts "
            "under a volts label: convert the file to the canonical CSV with voltage_mv"
        )
        raise TestDataError(f"{vendor}, row {line}: voltage {volts:g} V is {hint}", row=line)
    big = np.flatnonzero(np.abs(current_a) > MAX_CURRENT_A)
    if big.size:
        line, amps = first_line + int(big[0]), float(current_a[big[0]])
        raise TestDataError(
            f"{vendor}, row {line}: current {amps:g} A is beyond the {MAX_CURRENT_A:g} A a pack "
            "can carry; that looks like milliamps under an amps label",
            row=line,
        )
    batch: Batch = {
        "time_s": np.ascontiguousarray(time_s, dtype=np.float64),
        "current_a": np.ascontiguousarray(current_a, dtype=np.float64),
        "voltage_v": np.ascontiguousarray(voltage_v, dtype=np.float64),
        "cycle": np.ascontiguousarray(cycle, dtype=np.int64),
        "step": np.ascontiguousarray(step, dtype=np.int64),
    }
    if temperature_c is not None:
        batch["temperature_c"] = np.ascontiguousarray(temperature_c, dtype=np.float64)
    if capacity_counter_ah is not None:
        batch["capacity_counter_ah"] = np.ascontiguousarray(capacity_counter_ah, np.float64)
    return batch


def counter(table: Table, frame: pd.DataFrame, parts: list[tuple[str, float]]) -> np.ndarray:
    """The cycler's capacity counter in Ah from its column(s): (role, factor to Ah) each, read
    as magnitudes and added (Arbin's charge and discharge counters make one counter that grows
    with the charge moved either way); NaN where a value is blank."""
    total = np.zeros(len(frame), np.float64)
    for role, factor in parts:
        total += np.abs(optional_numbers(table, frame, role)) * factor
    return total


def plausible_temperature(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """NaN for readings no cell can have (an unconnected thermocouple reads about -2500 C);
    the flag says whether any were blanked."""
    implausible = (values < -60) | (values > 200)
    if not implausible.any():
        return values, False
    return np.where(implausible, np.nan, values), True


def sign_from_mode(current: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Discharge negative from a per-row mode: -1 discharge, +1 charge, 0 as written."""
    magnitude = np.abs(current)
    return np.where(mode < 0, -magnitude, np.where(mode > 0, magnitude, current))


class StepClock:
    """Elapsed seconds from a per-step clock that restarts at 0: each step starts where the last
    one ended. Carries across batches."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.last: tuple[float, int] | None = None  # step time and step id of the last row

    def elapsed(self, step_time: np.ndarray, step_id: np.ndarray) -> np.ndarray:
        if step_time.size == 0:
            return step_time
        last_time, last_step = self.last or (step_time[0], step_id[0])
        before = np.concatenate(([last_time], step_time[:-1]))
        # a clock that jumps back inside one step (a paused channel) also starts a segment
        new = (np.concatenate(([last_step], step_id[:-1])) != step_id) | (step_time < before)
        # each new segment starts where the one before it ended
        ends = np.where(new, before, 0.0)
        offsets = self.offset + np.cumsum(ends)
        self.offset = float(offsets[-1])
        self.last = (float(step_time[-1]), int(step_id[-1]))
        return offsets + step_time
