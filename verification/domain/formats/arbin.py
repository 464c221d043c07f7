"""Arbin MITS exports: CSV (streamed in batches) and XLSX (openpyxl in read-only mode, which
streams rows from the zipped sheet instead of loading the workbook).

Arbin writes discharge current as negative, time in seconds and current/voltage in A/V, either
bare (`Current`, TRI's exports) or with the unit in brackets (`Current(A)`, MITS Pro). Large XLSX
exports split one channel over several sheets (`Channel_1-006_1`, `_2` ...), read in order.

The cycler's own counters `Charge_Capacity` and `Discharge_Capacity` (Ah, both reset at each
cycle's start) are handed on as their sum, which grows with the charge moved either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from ..errors import TestDataError
from ..testdata import Batch, TestData
from . import _common as c
from ._columns import AMPS, CELSIUS, NUMBER, SECONDS, VOLTS, Column, counter_pick, pick
from ._headers import arbin_header as looks_like_header
from ._rows import Table, chunks
from .cycles import CounterCheck

CSV_VENDOR = "Arbin CSV export"
XLSX_VENDOR = "Arbin Excel export"
SIGN = "negative (Arbin writes discharge current as negative)"
_TEMPERATURE_KEYS = ("temperature", "auxtemperature1", "temperature1", "auxtemperature")


def columns(names: list[str], vendor: str, line: int) -> dict[str, Column]:
    found = {
        "time": pick(names, ("testtime",), SECONDS, vendor=vendor, line=line, what="'Test_Time'"),
        "current": pick(names, ("current",), AMPS, vendor=vendor, line=line, what="'Current'"),
        "voltage": pick(names, ("voltage",), VOLTS, vendor=vendor, line=line, what="'Voltage'"),
        "cycle": pick(
            names, ("cycleindex",), NUMBER, vendor=vendor, line=line, what="'Cycle_Index'"
        ),
        "step": pick(names, ("stepindex",), NUMBER, vendor=vendor, line=line, what="'Step_Index'"),
        "temperature": pick(
            names, _TEMPERATURE_KEYS, CELSIUS, vendor=vendor, line=line, what="", required=False
        ),
    }
    charge = counter_pick(names, ("chargecapacity",), vendor, line)
    discharge = counter_pick(names, ("dischargecapacity",), vendor, line)
    if charge is not None and discharge is not None:
        found["counter"], found["counter2"] = charge, discharge
    return {role: col for role, col in found.items() if col is not None}


def counter_parts(cols: dict[str, Column]) -> list[tuple[str, float]]:
    return [(role, cols[role].factor) for role in ("counter", "counter2") if role in cols]


def named(cols: dict[str, Column]) -> dict[str, str]:
    """TestData.columns: the file's own names for current, voltage and the counter."""
    found = {"current": cols["current"].name, "voltage": cols["voltage"].name}
    if "counter" in cols:
        found["capacity_counter"] = f"{cols['counter'].name} + {cols['counter2'].name}"
    return found


def units(cols: dict[str, Column]) -> dict[str, str]:
    found = {role: cols[role].unit for role in ("time", "current", "voltage")}
    if "counter" in cols:
        found["capacity_counter"] = f"{cols['counter'].unit} (charge + discharge counters)"
    return found | {"discharge_sign": SIGN}


def read_arbin_csv(stream: BinaryIO, batch_rows: int) -> TestData:
    origin = stream.tell()
    head = stream.read(c.HEAD_BYTES)
    lines = c.head_lines(head, "utf-8")
    fields = [c.split_fields(text, ",") for _, _, text in lines[:20]]
    index = next((i for i, names in enumerate(fields) if looks_like_header(names)), None)
    if index is None:
        raise TestDataError(
            f"{CSV_VENDOR}: no header with Test_Time, Current, Voltage and Cycle_Index columns "
            "in the first 20 lines"
        )
    names = fields[index]
    cols = columns(names, CSV_VENDOR, index + 1)
    offset, line = c.data_start(lines, index)
    table = Table(
        CSV_VENDOR, offset, line, len(names), {role: col.index for role, col in cols.items()}
    )
    warnings: list[str] = []

    def batches() -> Iterator[Batch]:
        check = CounterCheck(CSV_VENDOR, cols["cycle"].name)
        blanked = False
        rows = 0
        for frame in chunks(stream, origin, table, batch_rows, warnings):
            first = c.line_of(table, frame, 0)
            values = {
                role: c.numbers(table, frame, role, cols[role].name) * cols[role].factor
                for role in ("time", "current", "voltage")
            }
            cycle = c.integers(table, frame, "cycle", cols["cycle"].name)
            step = c.integers(table, frame, "step", cols["step"].name)
            temperature = None
            if "temperature" in cols:
                temperature = c.optional_numbers(table, frame, "temperature")
                temperature, flagged = c.plausible_temperature(temperature)
                blanked |= flagged
            check.add(values["current"], cycle)
            rows += len(frame)
            counter = c.counter(table, frame, counter_parts(cols)) if "counter" in cols else None
            yield c.checked_batch(
                CSV_VENDOR, first, values["time"], values["current"], values["voltage"], cycle,
                step, temperature, counter,
            )  # fmt: skip
        _finish(CSV_VENDOR, rows, check, blanked, warnings)

    return TestData("arbin_csv", units(cols), batches, warnings=warnings, columns=named(cols))


def _finish(vendor: str, rows: int, check: CounterCheck, blanked: bool, warnings: list) -> None:
    if rows == 0:
        raise TestDataError(f"{vendor}: no data rows after the header")
    if blanked:
        warnings.append(f"{vendor}: temperature readings outside -60..200 C were left out")
    if (message := check.warning()) is not None:
        warnings.append(message)


def read_arbin_xlsx(stream: BinaryIO, batch_rows: int) -> TestData:
    import openpyxl

    origin = stream.tell()
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        sheets = [(ws, first_row(ws)) for ws in book.worksheets]
    except Exception as exc:  # openpyxl passes on zipfile, zlib and XML parser errors
        raise TestDataError(f"{XLSX_VENDOR}: not a readable .xlsx workbook ({exc})") from None
    data = [(ws, header) for ws, header in sheets if looks_like_header(header)]
    if not data:
        names = ", ".join(f"'{ws.title}'" for ws, _ in sheets)
        raise TestDataError(
            f"{XLSX_VENDOR}: no sheet has a Test_Time, Current, Voltage and Cycle_Index header "
            f"in its first row (sheets: {names})"
        )
    cols = columns(data[0][1], XLSX_VENDOR, 1)
    warnings: list[str] = []

    def batches() -> Iterator[Batch]:
        stream.seek(origin)
        check = CounterCheck(XLSX_VENDOR, cols["cycle"].name)
        rows, blanked = 0, False
        for ws, header in data:
            here = columns(header, XLSX_VENDOR, 1)
            if [col.name for col in here.values()] != [col.name for col in cols.values()]:
                raise TestDataError(f"{XLSX_VENDOR}: sheet '{ws.title}' has different columns")
            for first, block in _row_blocks(ws, batch_rows):
                values = _block_values(block, cols, ws.title, first)
                temperature = values.get("temperature")
                if temperature is not None:
                    temperature, flagged = c.plausible_temperature(temperature)
                    blanked |= flagged
                cycle, step = values["cycle"].astype(np.int64), values["step"].astype(np.int64)
                check.add(values["current"], cycle)
                rows += len(block)
                counter = None
                if "counter" in cols:
                    counter = np.abs(values["counter"]) + np.abs(values["counter2"])
                yield c.checked_batch(
                    f"{XLSX_VENDOR}, sheet '{ws.title}'", first, values["time"],
                    values["current"], values["voltage"], cycle, step, temperature, counter,
                )  # fmt: skip
        _finish(XLSX_VENDOR, rows, check, blanked, warnings)

    return TestData("arbin_xlsx", units(cols), batches, warnings=warnings, columns=named(cols))


def first_row(ws: Any) -> list[str]:
    for row in ws.iter_rows(min_row=1, max_row=1, values_only=True):
        return [str(v).strip() if v is not None else "" for v in row]
    return []


def _row_blocks(ws: Any, size: int) -> Iterator[tuple[int, list[tuple]]]:
    block: list[tuple] = []
    first = 2
    try:
        for row in ws.iter_rows(min_row=2, values_only=True):
            if all(v is None for v in row):
                continue
            block.append(row)
            if len(block) == size:
                yield first, block
                first += len(block)
                block = []
    except Exception as exc:  # as above, met while the sheet's XML is streamed
        raise TestDataError(f"{XLSX_VENDOR}: sheet '{ws.title}' cannot be read ({exc})") from None
    if block:
        yield first, block


def _block_values(
    block: list[tuple], cols: dict[str, Column], sheet: str, first: int
) -> dict[str, np.ndarray]:
    values = {}
    for role, col in cols.items():
        raw = [row[col.index] if col.index < len(row) else None for row in block]
        try:
            array = np.array(raw, dtype=np.float64)
        except (TypeError, ValueError):
            array = np.array([_number(v) for v in raw], dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size and role not in ("temperature", "counter", "counter2"):
            row = first + int(bad[0])
            raise TestDataError(
                f"{XLSX_VENDOR}, sheet '{sheet}', row {row}: '{col.name}' is "
                f"{raw[bad[0]]!r}, not a number",
                row=row,
            )
        if role in ("cycle", "step") and np.any(array != np.round(array)):
            raise TestDataError(f"{XLSX_VENDOR}, sheet '{sheet}': '{col.name}' is not whole")
        values[role] = array * col.factor
    return values


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
