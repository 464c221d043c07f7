"""Neware BTS exports: the flat CSV (one row per record), the "regular" CSV with three
interleaved levels (cycle, step and record rows), and the binary `.ndax`.

- Flat CSV (neware_uio.csv): `Cycle Index, Step Index, Step Type, Time, Cumulative Time,
  Current(A), Voltage(V) ...`; `Time` is step time and `Cumulative Time` runs past 24 h.
- Regular CSV: a cycle header (`Cycle ID, ...`), a step header (`,Step ID,Step Name, ...`) and a
  record header (`,,Record ID,Time(h:min:s.ms),Voltage(V),Current(mA), ...`); data rows are told
  apart by their leading empty fields. The first cycle row may carry the first step row on the
  same line. Record time is step time, so elapsed time adds up the steps. No sample of this
  layout was available; it is implemented from the description in PITFALLS.md and BEEP's reader.
- `.ndax` goes through NewareNDA, which loads the whole file into a DataFrame (memory grows with
  the file; an ndax of 250 000 records takes about 30 MB).

Direction comes from the step type where it says charge (Chg) or discharge (DChg), since that
holds whether or not the current is signed; other steps (rest, pulse) keep the value written.
The cycler's own counter is `Capacity(Ah)` (counted per step), or where a file splits it, the
sum of its charge and discharge counters (`Chg. Cap.(Ah)` + `DChg. Cap.(Ah)`, the ndax's
`Charge_Capacity(mAh)` + `Discharge_Capacity(mAh)`).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import pandas as pd

from ..errors import TestDataError
from ..testdata import Batch, TestData
from . import _common as c
from ._columns import AMPS, NUMBER, VOLTS, Column, counter_pick, pick
from ._headers import neware_flat_header as is_flat_header
from ._headers import neware_regular_header as is_regular_header
from ._rows import Bounded, Table, chunks, torn_tail
from .cycles import CounterCheck

CSV_VENDOR = "Neware CSV export"
NDAX_VENDOR = "Neware .ndax"
SIGN = "from Step Type (Chg positive, DChg negative); other steps as written"
_TOTAL_TIME = ("cumulativetime", "totaltime", "testtime")
_STEP_TIME = ("time", "steptime")
_TEMPERATURE = ("t1", "temperature", "auxtemperature1")
_STEP_NAME = re.compile(r"[A-Za-z][A-Za-z_ ]*")
_TEMPERATURE_UNITS = {u: ("C", 1.0) for u in ("", "c", "°c", "oc", "?", "degc", "℃")}


def modes(step_type: pd.Series) -> np.ndarray:
    """-1 discharge, +1 charge, 0 other, from 'CC DChg', 'CCCV_Chg', 'Rest' ..."""
    letters = step_type.astype(str).str.lower().str.replace(r"[^a-z]", "", regex=True)
    discharge = letters.str.contains("dchg|discharge").to_numpy()
    charge = letters.str.contains("chg|charge").to_numpy()
    return np.where(discharge, -1, np.where(charge, 1, 0))


def read_neware_csv(stream: BinaryIO, batch_rows: int) -> TestData:
    origin = stream.tell()
    head = stream.read(c.HEAD_BYTES)
    lines = c.head_lines(head, "latin-1")
    fields = [c.split_fields(text.replace("\t", ""), ",") for _, _, text in lines[:4]]
    if fields and is_flat_header(fields[0]):
        return _read_flat(stream, origin, lines, fields[0], batch_rows)
    if is_regular_header(fields):
        return _read_regular(stream, origin, fields[:3], batch_rows)
    raise TestDataError(
        f"{CSV_VENDOR}: the first line is neither a record header (Cycle Index, Step Type, "
        "Current(A), Voltage(V) ...) nor the cycle/step/record headers of the regular export"
    )


def _time_column(names: list[str], keys: tuple[str, ...]) -> tuple[int, str] | None:
    for key in keys:
        for index, name in enumerate(names):
            base, unit = c.name_and_unit(name)
            if base == key:
                return index, unit
    return None


def _seconds(table: Table, frame: pd.DataFrame, role: str, label: str, unit: str) -> np.ndarray:
    sample = frame[role].iloc[0] if len(frame) else ""
    if ":" in str(sample):
        return c.durations(table, frame, role, label)
    factor = {"": 1.0, "s": 1.0, "min": 60.0, "h": 3600.0}.get(unit)
    if factor is None:
        raise TestDataError(f"{table.vendor}: time column '{label}' is in '{unit}', not seconds")
    return c.numbers(table, frame, role, label) * factor


def _measure_columns(names: list[str], vendor: str, line: int) -> dict[str, Column]:
    where = {"vendor": vendor, "line": line}
    cols = {
        "current": pick(names, ("current",), AMPS, what="'Current(A)'", **where),
        "voltage": pick(names, ("voltage",), VOLTS, what="'Voltage(V)'", **where),
    }
    temperature = pick(names, _TEMPERATURE, _TEMPERATURE_UNITS, what="", required=False, **where)
    if temperature is not None:
        cols["temperature"] = temperature
    whole = counter_pick(names, ("capacity",), vendor, line)
    charge = counter_pick(names, ("chgcap", "chargecapacity"), vendor, line)
    discharge = counter_pick(names, ("dchgcap", "dischargecapacity"), vendor, line)
    if whole is not None:
        cols["counter"] = whole
    elif charge is not None and discharge is not None:
        cols["counter"], cols["counter2"] = charge, discharge
    return cols  # type: ignore[return-value]


def counter_parts(cols: dict[str, Column]) -> list[tuple[str, float]]:
    return [(role, cols[role].factor) for role in ("counter", "counter2") if role in cols]


def named(cols: dict[str, Column]) -> dict[str, str]:
    """TestData.columns: the file's own names for current, voltage and the counter."""
    found = {"current": cols["current"].name, "voltage": cols["voltage"].name}
    if "counter" in cols:
        found["capacity_counter"] = " + ".join(
            cols[role].name for role in ("counter", "counter2") if role in cols
        )
    return found


def counter_units(cols: dict[str, Column]) -> dict[str, str]:
    if "counter" not in cols:
        return {}
    split = " (charge + discharge counters)" if "counter2" in cols else ""
    return {"capacity_counter": cols["counter"].unit + split}


def _read_flat(
    stream: BinaryIO, origin: int, lines: list, names: list[str], batch_rows: int
) -> TestData:
    where = {"vendor": CSV_VENDOR, "line": 1}
    cols = _measure_columns(names, CSV_VENDOR, 1)
    cols["cycle"] = pick(names, ("cycleindex", "cycle"), NUMBER, what="'Cycle Index'", **where)
    cols["step"] = pick(names, ("stepindex", "step"), NUMBER, what="'Step Index'", **where)
    cols["mode"] = pick(names, ("steptype", "stepname"), NUMBER, what="'Step Type'", **where)
    total = _time_column(names, _TOTAL_TIME)
    clock = None if total else _time_column(names, _STEP_TIME)
    timing = total or clock
    if timing is None:
        raise TestDataError(f"{CSV_VENDOR}: no 'Cumulative Time' or 'Time' column on line 1")
    indices = {role: col.index for role, col in cols.items()} | {"time": timing[0]}
    offset, first_line = c.data_start(lines, 0)
    table = Table(
        CSV_VENDOR, offset, first_line, len(names), indices, encoding="latin-1",
        text_roles=frozenset({"mode", "time"}),  # step names; times may be 'HHH:MM:SS'
    )  # fmt: skip
    time_label = names[timing[0]]
    units = {"time": time_label, "current": cols["current"].unit, "voltage": cols["voltage"].unit}
    units |= counter_units(cols)
    warnings: list[str] = []

    def batches() -> Iterator[Batch]:
        check = CounterCheck(CSV_VENDOR, cols["cycle"].name)
        steps = c.StepClock()
        rows = 0
        for frame in chunks(stream, origin, table, batch_rows, warnings):
            step = c.integers(table, frame, "step", cols["step"].name)
            time = _seconds(table, frame, "time", time_label, timing[1])
            if clock is not None:
                time = steps.elapsed(time, step)
            rows += len(frame)
            yield _batch(table, frame, cols, time, step, check)
        _finish(CSV_VENDOR, rows, check, warnings)

    return TestData(
        "neware_csv",
        units | {"discharge_sign": SIGN},
        batches,
        warnings=warnings,
        columns=named(cols),
    )


def _batch(
    table: Table,
    frame: pd.DataFrame,
    cols: dict[str, Column],
    time: np.ndarray,
    step: np.ndarray,
    check: CounterCheck,
) -> Batch:
    current = c.numbers(table, frame, "current", cols["current"].name) * cols["current"].factor
    current = c.sign_from_mode(current, modes(frame["mode"]))
    voltage = c.numbers(table, frame, "voltage", cols["voltage"].name) * cols["voltage"].factor
    cycle = c.integers(table, frame, "cycle", cols["cycle"].name)
    temperature = None
    if "temperature" in cols:
        temperature = c.optional_numbers(table, frame, "temperature")
        temperature, _ = c.plausible_temperature(temperature)
    check.add(current, cycle)
    first = c.line_of(table, frame, 0)
    counter = c.counter(table, frame, counter_parts(cols)) if "counter" in cols else None
    return c.checked_batch(
        table.vendor, first, time, current, voltage, cycle, step, temperature, counter
    )


def _finish(vendor: str, rows: int, check: CounterCheck, warnings: list[str]) -> None:
    if rows == 0:
        raise TestDataError(f"{vendor}: no data rows after the header")
    if (message := check.warning()) is not None:
        warnings.append(message)


def _read_regular(
    stream: BinaryIO, origin: int, headers: list[list[str]], batch_rows: int
) -> TestData:
    cycle_header, step_header, record_header = headers
    where = {"vendor": CSV_VENDOR, "line": 2}
    step_id = pick(step_header, ("stepid", "stepindex", "step"), NUMBER, what="'Step ID'", **where)
    step_name = pick(
        step_header, ("stepname", "steptype", "status"), NUMBER, what="'Step Name'", **where
    )
    cols = _measure_columns(record_header, CSV_VENDOR, 3)
    total = _time_column(record_header, _TOTAL_TIME)
    timing = total or _time_column(record_header, _STEP_TIME)
    if timing is None:
        raise TestDataError(f"{CSV_VENDOR}: no 'Time(h:min:s.ms)' column in the record header")
    units = {
        "time": record_header[timing[0]],
        "current": cols["current"].unit,
        "voltage": cols["voltage"].unit,
        "discharge_sign": SIGN,
        "layout": "regular (cycle/step/record rows)",
    } | counter_units(cols)
    roles = {role: col.index for role, col in cols.items()} | {"time": timing[0]}
    table = Table(CSV_VENDOR, 0, 0, len(record_header), roles)
    layout = _Regular(step_id.index, step_name.index, roles)  # type: ignore[union-attr]
    warnings: list[str] = []

    def batches() -> Iterator[Batch]:
        check = CounterCheck(CSV_VENDOR, cycle_header[0])
        steps = c.StepClock()
        rows = 0
        torn = torn_tail(stream, origin, table)
        source = stream if torn is None else Bounded(stream, torn[0])
        for frame in layout.frames(source, origin, batch_rows):  # type: ignore[arg-type]
            step_number = frame["step"].to_numpy(np.int64)
            time = _seconds(table, frame, "time", record_header[timing[0]], timing[1])
            if total is None:
                time = steps.elapsed(time, frame["instance"].to_numpy(np.int64))
            rows += len(frame)
            labelled = {**cols, "cycle": Column(0, cycle_header[0], "", 1.0)}
            yield _batch(table, frame, labelled, time, step_number, check)
        if torn is not None:
            warnings.append(
                f"{CSV_VENDOR}, line {layout.lines_read + 1}: the last row is incomplete "
                f"({torn[1]}): the file was probably cut off while it was written or copied; "
                "that row was left out"
            )
        _finish(CSV_VENDOR, rows, check, warnings)

    return TestData("neware_csv", units, batches, warnings=warnings, columns=named(cols))


class _Regular:
    """Walks the interleaved rows, remembering the current cycle and step for each record."""

    def __init__(self, step_id: int, step_name: int, roles: dict[str, int]) -> None:
        self.step_id, self.step_name, self.roles = step_id, step_name, roles
        self.lines_read = 0

    def frames(self, stream: BinaryIO, origin: int, size: int) -> Iterator[pd.DataFrame]:
        stream.seek(origin)
        text = codecs.getreader("latin-1")(stream)
        cycle = step = instance = mode = None
        block: dict[str, list] = {k: [] for k in (*self.roles, "cycle", "step", "instance", "mode")}
        lines: list[int] = []
        for number, fields in enumerate(csv.reader(text), start=1):
            self.lines_read = number
            if number <= 3:
                continue
            fields = [f.replace("\t", "").strip().strip('"') for f in fields]
            if not any(fields):
                continue
            if fields[0]:  # a cycle row, perhaps with the first step row glued on
                cycle = self._integer(fields[0], number, "Cycle ID")
                glued = _glued_step(fields)
                if glued is not None:
                    step, mode = self._integer(glued[0], number, "Step ID"), glued[1]
                    instance = (instance or 0) + 1
            elif fields[1]:
                step = self._integer(fields[self.step_id], number, "Step ID")
                mode = fields[self.step_name] if self.step_name < len(fields) else ""
                instance = (instance or 0) + 1
            else:
                if cycle is None or step is None:
                    raise TestDataError(
                        f"{CSV_VENDOR}, line {number}: a record row before any cycle and step row",
                        row=number,
                    )
                for role, index in self.roles.items():
                    block[role].append(fields[index] if index < len(fields) else "")
                block["cycle"].append(str(cycle))
                block["step"].append(step)
                block["instance"].append(instance)
                block["mode"].append(mode)
                lines.append(number)
                if len(lines) == size:
                    yield pd.DataFrame(block, index=lines)
                    block = {k: [] for k in block}
                    lines = []
        if lines:
            yield pd.DataFrame(block, index=lines)

    @staticmethod
    def _integer(text: str, line: int, label: str) -> int:
        try:
            return int(float(text))
        except ValueError:
            raise TestDataError(
                f"{CSV_VENDOR}, line {line}: '{label}' is {text[:40]!r}, not a number", row=line
            ) from None


def _glued_step(fields: list[str]) -> tuple[str, str] | None:
    """(Step ID, Step Name) of a step row glued onto a cycle row: the first step name (a word
    such as Rest or CC_DChg) right after a whole number, past the cycle's own first field."""
    for index in range(2, len(fields)):
        if _STEP_NAME.fullmatch(fields[index]) and fields[index - 1].isdigit():
            return fields[index - 1], fields[index]
    return None


def read_neware_ndax(stream: BinaryIO, batch_rows: int) -> TestData:
    from NewareNDA.NewareNDAx import read_ndax

    try:
        frame = read_ndax(stream, software_cycle_number=False)
    except Exception as exc:  # NewareNDA raises whatever zipfile, struct or pandas raise
        raise TestDataError(f"{NDAX_VENDOR}: NewareNDA could not read the file ({exc})") from None
    missing = {"Cycle", "Step", "Step_Index", "Status", "Time", "Voltage", "Current(mA)"} - set(
        frame.columns
    )
    if missing or frame.empty:
        raise TestDataError(f"{NDAX_VENDOR}: no records (missing {', '.join(sorted(missing))})")
    units = {"time": "s (step time, added up)", "current": "mA", "voltage": "V"}
    named = {"current": "Current(mA)", "voltage": "Voltage"}
    split = ("Charge_Capacity(mAh)", "Discharge_Capacity(mAh)")
    has_counter = set(split) <= set(frame.columns)
    if has_counter:
        units["capacity_counter"] = "mAh (charge + discharge counters)"
        named["capacity_counter"] = " + ".join(split)
    warnings: list[str] = []

    def batches() -> Iterator[Batch]:
        check = CounterCheck(NDAX_VENDOR, "Cycle")
        steps = c.StepClock()
        for start in range(0, len(frame), batch_rows):
            part = frame.iloc[start : start + batch_rows]
            running = part["Step"].to_numpy(np.int64)
            time = steps.elapsed(part["Time"].to_numpy(np.float64), running)
            current = part["Current(mA)"].to_numpy(np.float64) / 1000
            current = c.sign_from_mode(current, modes(part["Status"]))
            cycle = part["Cycle"].to_numpy(np.int64)
            check.add(current, cycle)
            counter = None
            if has_counter:
                counter = sum(np.abs(part[name].to_numpy(np.float64)) for name in split) / 1000
            yield c.checked_batch(
                NDAX_VENDOR, start + 1, time, current, part["Voltage"].to_numpy(np.float64),
                cycle, part["Step_Index"].to_numpy(np.int64), None, counter,
            )  # fmt: skip
        _finish(NDAX_VENDOR, len(frame), check, warnings)

    units["discharge_sign"] = SIGN
    return TestData("neware_ndax", units, batches, warnings=warnings, columns=named)


XLSX_VENDOR = "Neware Excel export"
_XLSX_HEADER_ROWS = 5
_WALL_CLOCK = ("realtime", "date", "absolutetime", "systemtime")
_XLSX_STEP_TIME = ("time", "steptime", "relativetime")
_XLSX_DURATION = re.compile(r"^\s*(?:(\d+)\s*d\s*)?(\d+):(\d+):(\d+(?:\.\d*)?)\s*$")


def is_record_header(names: list[str]) -> bool:
    """A Neware record sheet's header: BTS 8 (`Cycle Index, Step Index, Step Type, Total Time,
    Current(A), Voltage(V)`) or BTS 7 (`Record ID, Status, Cycle, Steps, Current(mA) ...`)."""
    keys = {c.name_and_unit(n)[0] for n in names}
    return (
        {"current", "voltage"} <= keys
        and bool({"cycleindex", "cycle"} & keys)
        and bool({"steptype", "stepname", "status"} & keys)
    )


def neware_sheets(book: object) -> list[tuple[object, int, list[str]]]:
    """(worksheet, 1-based header row, header) of every record sheet, in workbook order."""
    found = []
    for ws in book.worksheets:  # type: ignore[attr-defined]
        for number, row in enumerate(
            ws.iter_rows(min_row=1, max_row=_XLSX_HEADER_ROWS, values_only=True), start=1
        ):
            names = [str(v).strip() if v is not None else "" for v in row]
            if is_record_header(names):
                found.append((ws, number, names))
                break
    return found


def read_neware_xlsx(stream: BinaryIO, batch_rows: int, book: object = None) -> TestData:
    """A Neware BTS workbook: its record sheet(s) streamed row by row (openpyxl read-only)."""
    if book is None:
        book = open_workbook(stream, XLSX_VENDOR)
    sheets = neware_sheets(book)
    if not sheets:
        raise TestDataError(
            f"{XLSX_VENDOR}: no record sheet with Cycle Index, Step Type (or Status), Current and "
            f"Voltage columns in its first {_XLSX_HEADER_ROWS} rows (sheets: "
            f"{', '.join(repr(ws.title) for ws in book.worksheets)})"  # type: ignore[attr-defined]
        )
    _, header_row, names = sheets[0]
    line = header_row
    cols = _measure_columns(names, XLSX_VENDOR, line)
    where = {"vendor": XLSX_VENDOR, "line": line}
    cols["cycle"] = pick(names, ("cycleindex", "cycle"), NUMBER, what="'Cycle Index'", **where)
    cols["step"] = pick(names, ("stepindex", "steps", "step"), NUMBER, what="'Step Index'", **where)
    cols["mode"] = pick(names, ("steptype", "stepname", "status"), NUMBER, what="", **where)
    timing = _xlsx_timing(names)
    units = {
        "time": f"{names[timing[1]]} ({timing[0]})",
        "current": cols["current"].unit,
        "voltage": cols["voltage"].unit,
        "discharge_sign": SIGN,
    } | counter_units(cols)
    warnings: list[str] = []

    def batches() -> Iterator[Batch]:
        check = CounterCheck(XLSX_VENDOR, cols["cycle"].name)
        steps = c.StepClock()
        start: list[float] = []
        rows = 0
        for ws, first_row, header in sheets:
            if header != names:
                raise TestDataError(
                    f"{XLSX_VENDOR}: sheet '{ws.title}' has other columns than "  # type: ignore[attr-defined]
                    f"'{sheets[0][0].title}'"  # type: ignore[attr-defined]
                )
            for first, block in _xlsx_blocks(ws, first_row + 1, batch_rows):
                vendor = f"{XLSX_VENDOR}, sheet '{ws.title}'"  # type: ignore[attr-defined]
                values = {
                    role: _xlsx_numbers(block, col, vendor, first, role)
                    for role, col in cols.items()
                    if role != "mode"
                }
                mode = pd.Series([row[cols["mode"].index] for row in block], dtype=object)
                current = c.sign_from_mode(values["current"], modes(mode.fillna("")))
                step = _whole(values["step"], cols["step"].name, vendor, first)
                cycle = _whole(values["cycle"], cols["cycle"].name, vendor, first)
                time = _xlsx_time(block, timing, vendor, first, start)
                if timing[0] == "step time, added up":
                    time = steps.elapsed(time, step)
                temperature = values.get("temperature")
                if temperature is not None:
                    temperature, _ = c.plausible_temperature(temperature)
                counter = None
                if "counter" in cols:
                    counter = sum(np.abs(values[r]) for r in ("counter", "counter2") if r in values)
                check.add(current, cycle)
                rows += len(block)
                yield c.checked_batch(
                    vendor, first, time, current, values["voltage"], cycle, step, temperature,
                    counter,
                )  # fmt: skip
        _finish(XLSX_VENDOR, rows, check, warnings)

    return TestData("neware_xlsx", units, batches, warnings=warnings, columns=named(cols))


def open_workbook(stream: BinaryIO, vendor: str) -> object:
    import openpyxl

    try:
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl passes on zipfile, zlib and XML parser errors
        raise TestDataError(f"{vendor}: not a readable .xlsx workbook ({exc})") from None


def _xlsx_timing(names: list[str]) -> tuple[str, int]:
    """(how time is read, column index): total time, else step time added up, else the wall
    clock."""
    for kind, keys in (
        ("total time", _TOTAL_TIME),
        ("step time, added up", _XLSX_STEP_TIME),
        ("wall clock", _WALL_CLOCK),
    ):
        found = _time_column(names, keys)
        if found is not None:
            return kind, found[0]
    raise TestDataError(
        f"{XLSX_VENDOR}: no 'Total Time', 'Time' or 'Realtime' column in the record header"
    )


def _xlsx_blocks(ws: object, first_row: int, size: int) -> Iterator[tuple[int, list[tuple]]]:
    block: list[tuple] = []
    first = first_row
    try:
        for number, row in enumerate(
            ws.iter_rows(min_row=first_row, values_only=True),  # type: ignore[attr-defined]
            start=first_row,
        ):
            if all(v is None or v == "" for v in row):
                continue
            if not block:
                first = number
            block.append(row)
            if len(block) == size:
                yield first, block
                block = []
    except Exception as exc:  # as above, met while the sheet's XML is streamed
        title = ws.title  # type: ignore[attr-defined]
        raise TestDataError(f"{XLSX_VENDOR}: sheet '{title}' cannot be read ({exc})") from None
    if block:
        yield first, block


def _xlsx_numbers(block: list[tuple], col: Column, vendor: str, first: int, role: str):
    raw = [row[col.index] if col.index < len(row) else None for row in block]
    values = np.array([_xlsx_float(v) for v in raw], dtype=np.float64)
    if role in ("temperature", "counter", "counter2"):
        return values * col.factor
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = first + int(bad[0])
        shown = "empty" if raw[bad[0]] in (None, "") else f"{str(raw[bad[0]])[:40]!r}, not a number"
        raise TestDataError(f"{vendor}, row {row}: '{col.name}' is {shown}", row=row)
    return values * col.factor


def _xlsx_float(value: object) -> float:
    if isinstance(value, bool):
        return float("nan")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip()) if value is not None else float("nan")
    except ValueError:
        return float("nan")


def _whole(values: np.ndarray, name: str, vendor: str, first: int) -> np.ndarray:
    bad = np.flatnonzero(values != np.round(values))
    if bad.size:
        row = first + int(bad[0])
        raise TestDataError(f"{vendor}, row {row}: '{name}' is not a whole number", row=row)
    return values.astype(np.int64)


def _xlsx_time(
    block: list[tuple], timing: tuple[str, int], vendor: str, first: int, start: list[float]
) -> np.ndarray:
    """Seconds: durations as 'H:MM:SS', '1d 02:03:04', Excel times or numbers of seconds;
    the wall clock as seconds since the first record (kept in `start`)."""
    out = np.empty(len(block), np.float64)
    for i, row in enumerate(block):
        value = row[timing[1]] if timing[1] < len(row) else None
        seconds = _xlsx_seconds(value)
        if seconds is None:
            number = first + i
            raise TestDataError(
                f"{vendor}, row {number}: the time {str(value)[:40]!r} is not a duration like "
                "'144:00:18' or a date and time",
                row=number,
            )
        out[i] = seconds
    if timing[0] == "wall clock":
        if not start:
            start.append(float(out[0]))
        out -= start[0]
    return out


def _xlsx_seconds(value: object) -> float | None:
    import datetime as dt

    if isinstance(value, dt.datetime):  # naive in Neware's exports: no daylight-saving shift
        return (value.replace(tzinfo=None) - dt.datetime(1970, 1, 1)).total_seconds()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        match = _XLSX_DURATION.match(value)
        if match:
            days = float(match.group(1) or 0)
            hours, minutes, secs = (float(match.group(i)) for i in (2, 3, 4))
            return ((days * 24 + hours) * 60 + minutes) * 60 + secs
        try:
            moment = dt.datetime.fromisoformat(value.strip()).replace(tzinfo=None)
            return (moment - dt.datetime(1970, 1, 1)).total_seconds()
        except ValueError:
            return None
    return None
