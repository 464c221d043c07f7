"""Maccor text exports (tab-separated, latin-1), streamed in batches. Three layouts are known:

- TRI: one title line, then `Rec# Cyc# Step Test (Sec) ... Amps Volts State ...`; Amps signed.
- maccor_001: three title lines, `TestTime` as "  0d 01:16:32.15", Amps unsigned, Aux columns
  each followed by a " Units" column.
- KIT/SIMBA: twelve key/value lines, a blank line, the header (`Cycle P`, `Cycle C`,
  `Current [A]`, `Md`), another blank line; `TestTime` in minutes, current unsigned.

Direction always comes from the State/Md column (C charge, D discharge), since some exports
sign the current and some do not; rows in other states (R rest, O other) keep the value written.
A numeric `TestTime` without a unit is timed against the wall-clock `DPt Time` column.
The cycler's own counter (`Amp-hr`, KIT's `Cap. [Ah]`, counted per step) is handed on as the
capacity counter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

import numpy as np
import pandas as pd

from ..errors import TestDataError
from ..testdata import Batch, TestData
from . import _common as c
from ._columns import AMPS, NUMBER, SECONDS, VOLTS, Column, counter_pick, pick
from ._headers import maccor_header as looks_like_header
from ._rows import Table, chunks
from .cycles import CounterCheck

VENDOR = "Maccor export"
ENCODING = "latin-1"
_HEADER_LINES = 40
_CURRENT_KEYS = ("amps", "current")
_VOLTAGE_KEYS = ("volts", "voltage")
_WALL_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
)
_UNIT_RATIOS = {"s": 1.0, "min": 60.0, "h": 3600.0}


def read_maccor(stream: BinaryIO, batch_rows: int) -> TestData:
    origin = stream.tell()
    head = stream.read(c.HEAD_BYTES)
    lines = c.head_lines(head, ENCODING)
    index = next((i for i, line in enumerate(lines[:_HEADER_LINES]) if _is_header(line[2])), None)
    if index is None:
        raise TestDataError(
            f"{VENDOR}: no tab-separated header with Rec#/Cyc#, Step and Test (Sec)/TestTime "
            f"columns in the first {_HEADER_LINES} lines"
        )
    names = lines[index][2].split("\t")
    names = [n.strip() for n in names]
    line = index + 1
    offset, first_line = c.data_start(lines, index)
    samples = [
        text.split("\t") for _, _, text in lines[first_line - 1 : first_line + 199] if text.strip()
    ]
    if not samples:
        raise TestDataError(f"{VENDOR}: no data rows after the header on line {line}")
    cols = _columns(names, line, samples[0])
    comma = c.decimal_comma(samples[0])
    units = {"current": cols["current"].unit, "voltage": cols["voltage"].unit}
    units["time"], time_factor, time_text = _time_unit(cols, names, samples, comma, line)
    units["discharge_sign"] = _sign(cols, samples, comma, line)
    if comma:
        units["decimal_separator"] = ","
    named = {"current": cols["current"].name, "voltage": cols["voltage"].name}
    if "counter" in cols:
        units["capacity_counter"] = cols["counter"].unit
        named["capacity_counter"] = cols["counter"].name
    read = {r: col.index for r, col in cols.items() if r != "wall"}
    text_roles = frozenset({"state"} & set(read)) | ({"time"} if time_text else frozenset())
    table = Table(
        VENDOR, offset, first_line, len(names), read, sep="\t", encoding=ENCODING, comma=comma,
        text_roles=text_roles,
    )  # fmt: skip
    warnings: list[str] = []
    metadata = _metadata([text for _, _, text in lines[:index]])

    def batches() -> Iterator[Batch]:
        check = CounterCheck(VENDOR, cols["cycle"].name)
        rows, blanked = 0, False
        for frame in chunks(stream, origin, table, batch_rows, warnings):
            first = c.line_of(table, frame, 0)
            name = cols["time"].name
            if time_text:
                time = c.durations(table, frame, "time", name)
            else:
                time = c.numbers(table, frame, "time", name) * time_factor
            current = c.numbers(table, frame, "current", cols["current"].name)
            current = current * cols["current"].factor
            if "state" in cols:
                current = c.sign_from_mode(current, _modes(frame["state"]))
            voltage = c.numbers(table, frame, "voltage", cols["voltage"].name)
            voltage = voltage * cols["voltage"].factor
            cycle = c.integers(table, frame, "cycle", cols["cycle"].name)
            step = c.integers(table, frame, "step", cols["step"].name)
            temperature = None
            if "temperature" in cols:
                temperature = c.optional_numbers(table, frame, "temperature")
                temperature, flagged = c.plausible_temperature(temperature)
                blanked |= flagged
            check.add(current, cycle)
            rows += len(frame)
            counter = None
            if "counter" in cols:
                counter = c.counter(table, frame, [("counter", cols["counter"].factor)])
            yield c.checked_batch(
                VENDOR, first, time, current, voltage, cycle, step, temperature, counter
            )
        if rows == 0:
            raise TestDataError(f"{VENDOR}: no data rows after the header on line {line}")
        if blanked:
            warnings.append(
                f"{VENDOR}: temperature readings outside -60..200 C (an unconnected "
                f"thermocouple) were left out of '{cols['temperature'].name}'"
            )
        if (message := check.warning()) is not None:
            warnings.append(message)

    return TestData(
        "maccor_txt", units, batches, warnings=warnings, metadata=metadata, columns=named
    )


def _is_header(text: str) -> bool:
    return "\t" in text and looks_like_header([n.strip() for n in text.split("\t")])


def _columns(names: list[str], line: int, first_row: list[str]) -> dict[str, Column]:
    where = {"vendor": VENDOR, "line": line}
    current = pick(names, _CURRENT_KEYS, AMPS, what="", required=False, **where) or pick(
        names, ("mamps",), {"": ("mA", 1e-3)}, what="'Amps' or 'Current'", **where
    )
    voltage = pick(names, _VOLTAGE_KEYS, VOLTS, what="", required=False, **where) or pick(
        names, ("mvolts",), {"": ("mV", 1e-3)}, what="'Volts' or 'Voltage'", **where
    )
    time = pick(names, ("test", "testtime"), SECONDS, what="'Test (Sec)' or 'TestTime'", **where)
    cols = {
        "time": time,
        "current": current,
        "voltage": voltage,
        # KIT's 'Cycle C' is the cycle counter; 'Cycle P' counts procedure loops
        "cycle": pick(names, ("cyc#", "cyclec", "cycle", "cyclep"), NUMBER, what="'Cyc#'", **where),
        "step": pick(names, ("step",), NUMBER, what="'Step'", **where),
    }
    state = pick(names, ("state", "md", "mode"), NUMBER, what="", required=False, **where)
    if state is not None:
        cols["state"] = state
    counter = counter_pick(names, ("amphr", "cap", "capacity"), VENDOR, line)
    if counter is not None:
        cols["counter"] = counter
    dpt = pick(names, ("dpttime",), NUMBER, what="", required=False, **where)
    if dpt is not None:
        cols["wall"] = dpt
    temperature = _temperature_column(names, first_row)
    if temperature is not None:
        cols["temperature"] = temperature
    return {role: col for role, col in cols.items() if col is not None}


def _temperature_column(names: list[str], first_row: list[str]) -> Column | None:
    """'Temp 1', or the first 'Aux #n' column whose ' Units' column says C (maccor_001)."""
    for index, name in enumerate(names):
        key = c.name_and_unit(name)[0]
        if key in ("temp1", "temperature"):
            return Column(index, name, "C", 1.0)
        unit = first_row[index + 1].strip() if index + 1 < len(first_row) else ""
        if key.startswith("aux#") and names[index + 1 : index + 2] == ["Units"] and unit == "C":
            return Column(index, name, "C", 1.0)
    return None


def _time_unit(
    cols: dict[str, Column], names: list[str], rows: list[list[str]], comma: bool, line: int
) -> tuple[str, float, bool]:
    """(unit label, factor to seconds, whether the column is '0d 01:16:32' text)."""
    col = cols["time"]
    first = rows[0][col.index].strip() if col.index < len(rows[0]) else ""
    if ":" in first:
        return "d hh:mm:ss", 1.0, True
    if c.name_and_unit(col.name)[1]:  # 'Test (Sec)', 'Test (Min)'
        return col.unit, col.factor, False
    if "wall" in cols:
        unit = _unit_from_wall_clock(col.index, cols["wall"].index, rows, comma)
        if unit is not None:
            return f"{unit} (from DPt Time)", _UNIT_RATIOS[unit], False
    if {"cyclep", "cyclec"} <= {c.name_and_unit(n)[0] for n in names}:
        return "min (KIT layout)", 60.0, False
    raise TestDataError(
        f"{VENDOR}: '{col.name}' on line {line} is a plain number without a unit and the "
        "DPt Time column does not settle whether it counts seconds, minutes or hours; export "
        "with 'Test (Sec)' or convert the file to the canonical CSV (time_s or time_min)"
    )


def _unit_from_wall_clock(
    time_index: int, wall_index: int, rows: list[list[str]], comma: bool
) -> str | None:
    usable = [r for r in rows if len(r) > max(time_index, wall_index)]
    if len(usable) < 2:
        return None
    try:
        elapsed = [
            float(r[time_index].replace(",", ".") if comma else r[time_index]) for r in usable
        ]
    except ValueError:
        return None
    for fmt in _WALL_FORMATS:
        try:
            first = datetime.strptime(usable[0][wall_index].strip(), fmt)
            last = datetime.strptime(usable[-1][wall_index].strip(), fmt)
        except ValueError:
            continue
        wall, counted = (last - first).total_seconds(), elapsed[-1] - elapsed[0]
        if wall < 60 or counted <= 0:
            return None
        for unit, ratio in _UNIT_RATIOS.items():
            if abs(wall / counted / ratio - 1) < 0.05:
                return unit
        return None
    return None


def _sign(cols: dict[str, Column], rows: list[list[str]], comma: bool, line: int) -> str:
    index = cols["current"].index
    values = []
    for row in rows:
        try:
            text = row[index].strip()
            values.append((float(text.replace(",", ".") if comma else text), row))
        except (IndexError, ValueError):
            continue
    if "state" not in cols:
        if any(v < 0 for v, _ in values):
            return "negative (as written; no State column)"
        raise TestDataError(
            f"{VENDOR}: the header on line {line} has no State or Md column and the first rows "
            "have no negative current, so charge cannot be told from discharge; export with the "
            "State column or convert the file to the canonical CSV (discharge negative)"
        )
    state = cols["state"].index
    on_discharge = [v for v, row in values if len(row) > state and row[state].strip() == "D"]
    if any(v < 0 for v in on_discharge):
        return "negative in the file (signed Amps), direction taken from State"
    if on_discharge:
        return "from State (current written unsigned; D rows made negative)"
    return "from State (D rows negative)"


def _modes(state: pd.Series) -> np.ndarray:
    letters = state.str.strip().str.upper().str[:1]
    return np.where(letters == "D", -1, np.where(letters == "C", 1, 0))


def _metadata(lines: list[str]) -> dict[str, str]:
    """Title lines as key/value pairs ('Procedure:\\tM50_Validation.000')."""
    found: dict[str, str] = {}
    for text in lines:
        fields = [re.sub(r"[^\x20-\x7e\xa0-\xff]", "", f).strip() for f in text.split("\t")]
        for key, value in zip(fields[::2], fields[1::2], strict=False):
            if key and value and len(found) < 30:
                found[key.rstrip(":").strip()[:60]] = value[:200]
    return found
