"""BMS snapshots: what a pack's battery management system reports at one moment, as JSON

    {"cell_voltages_v": [3.31, ...], "cell_temperatures_c": [24.0, ...], "cycle_count": 812,
     "soh_pct": 87.5, "pack_voltage_v": 51.1}

or as CSV with one row per cell under a `cell,voltage_v,temperature_c` header (or voltage_mv;
temperature optional) and optional `key,value` lines (cycle_count, soh_pct, pack_voltage_v)
before or after the cells. A snapshot is small, so it is read whole (up to 1 MB).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from typing import BinaryIO

from ..canonical_python import MAX_CELL_VOLTAGE_V
from ..errors import TestDataError
from ..testdata import Batch, BmsSnapshot, TestData

VENDOR = "BMS snapshot"
MAX_BYTES = 1 << 20
KEYS = ("cycle_count", "soh_pct", "pack_voltage_v")
_LIMITS = {"soh_pct": (0.0, 150.0), "pack_voltage_v": (0.0, 1500.0)}


def read_bms(stream: BinaryIO, batch_rows: int = 0) -> TestData:
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise TestDataError(f"{VENDOR}: larger than {MAX_BYTES // 1024} KB; a snapshot is small")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TestDataError(f"{VENDOR}: the file is not UTF-8 text") from None
    warnings: list[str] = []
    if text.lstrip().startswith("{"):
        cells, temperatures, values = _from_json(text, warnings)
    else:
        cells, temperatures, values = _from_csv(text, warnings)
    snapshot = BmsSnapshot(
        cell_voltages_v=tuple(cells),
        cell_temperatures_c=tuple(temperatures),
        cycle_count=values.get("cycle_count"),  # type: ignore[arg-type]
        bms_soh_pct=values.get("soh_pct"),
        pack_voltage_v=values.get("pack_voltage_v"),
    )

    def batches() -> Iterator[Batch]:
        return iter(())

    units = {"voltage": "V", "temperature": "C"}
    return TestData("bms_snapshot", units, batches, warnings=warnings, snapshot=snapshot)


def _from_json(text: str, warnings: list[str]) -> tuple[list, list, dict]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TestDataError(
            f"{VENDOR}: not valid JSON ({exc.msg} on line {exc.lineno})", row=exc.lineno
        ) from None
    if not isinstance(document, dict):
        raise TestDataError(f"{VENDOR}: the JSON must be an object with cell_voltages_v")
    if "cell_voltages_v" not in document:
        raise TestDataError(f"{VENDOR}: no 'cell_voltages_v' list in the JSON object")
    cells = [
        _voltage(v, f"cell_voltages_v[{i}]")
        for i, v in enumerate(_list(document, "cell_voltages_v"))
    ]
    temperatures = [
        _temperature(v, f"cell_temperatures_c[{i}]")
        for i, v in enumerate(_list(document, "cell_temperatures_c"))
    ]
    values = {key: _value(key, document[key]) for key in KEYS if document.get(key) is not None}
    ignored = sorted(set(document) - {"cell_voltages_v", "cell_temperatures_c", *KEYS})
    if ignored:
        warnings.append(f"{VENDOR}: ignored keys {', '.join(ignored[:10])}")
    if not cells:
        raise TestDataError(f"{VENDOR}: 'cell_voltages_v' is empty")
    return cells, temperatures, values


def _list(document: dict, key: str) -> list:
    value = document.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise TestDataError(f"{VENDOR}: '{key}' must be a list of numbers")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TestDataError(f"{VENDOR}: {where} is {value!r}, not a number")
    try:
        number = float(value)
    except ValueError:
        raise TestDataError(f"{VENDOR}: {where} is {str(value)[:40]!r}, not a number") from None
    if not math.isfinite(number):
        raise TestDataError(f"{VENDOR}: {where} is not a finite number")
    return number


def _voltage(value: object, where: str, factor: float = 1.0) -> float:
    if value is None or value == "":
        return math.nan  # a BMS may miss a cell now and then
    volts = _number(value, where) * factor
    if volts < 0:
        raise TestDataError(f"{VENDOR}: {where} is {volts:g} V; a cell voltage is never negative")
    if volts > MAX_CELL_VOLTAGE_V:
        raise TestDataError(
            f"{VENDOR}: {where} is {volts:g} V, above the {MAX_CELL_VOLTAGE_V:g} V of any cell; "
            "that looks like millivolts: give volts (or a voltage_mv column in the CSV)"
        )
    return volts


def _temperature(value: object, where: str) -> float:
    if value is None or value == "":
        return math.nan
    celsius = _number(value, where)
    if not -60 <= celsius <= 200:
        raise TestDataError(f"{VENDOR}: {where} is {celsius:g} C, outside -60..200 C")
    return celsius


def _value(key: str, value: object) -> int | float:
    number = _number(value, key)
    if key == "cycle_count":
        if number < 0 or not number.is_integer():
            raise TestDataError(f"{VENDOR}: cycle_count is {value!r}; expected a whole number")
        return int(number)
    low, high = _LIMITS[key]
    if not low <= number <= high:
        raise TestDataError(f"{VENDOR}: {key} is {number:g}, outside {low:g}..{high:g}")
    return number


def _from_csv(text: str, warnings: list[str]) -> tuple[list, list, dict]:
    header: list[str] | None = None
    cells: dict[int, tuple[float, float]] = {}
    values: dict[str, int | float] = {}
    for number, fields in enumerate(csv.reader(text.splitlines()), start=1):
        fields = [f.strip() for f in fields]
        if not any(fields):
            continue
        key = fields[0].lower()
        if key == "cell" and header is None:
            header = _csv_header(fields, number)
        elif key in KEYS:
            if len(fields) != 2:
                raise TestDataError(f"{VENDOR}, line {number}: expected '{key},value'", row=number)
            values[key] = _value(key, fields[1])
        elif header is not None and re.fullmatch(r"\d+", key):
            if int(key) in cells:
                raise TestDataError(
                    f"{VENDOR}, line {number}: cell {key} appears twice", row=number
                )
            cells[int(key)] = _cell_row(header, fields, number)
        elif len(fields) == 2 and not key[:1].isdigit():
            warnings.append(f"{VENDOR}: ignored line {number} ('{fields[0][:40]}')")
        else:
            raise TestDataError(
                f"{VENDOR}, line {number}: expected a 'cell,voltage_v,temperature_c' header, a "
                "row per cell, or key,value lines (cycle_count, soh_pct, pack_voltage_v)",
                row=number,
            )
    if header is None or not cells:
        raise TestDataError(f"{VENDOR}: no 'cell,voltage_v' header followed by cell rows")
    ordered = [cells[n] for n in sorted(cells)]
    temperatures = [t for _, t in ordered] if "temperature_c" in header else []
    return [v for v, _ in ordered], temperatures, values


def _csv_header(fields: list[str], number: int) -> list[str]:
    names = [f.lower() for f in fields]
    if not {"voltage_v", "voltage_mv"} & set(names):
        raise TestDataError(f"{VENDOR}, line {number}: the cell header has no voltage_v column")
    return names


def _cell_row(header: list[str], fields: list[str], number: int) -> tuple[float, float]:
    if len(fields) != len(header):
        raise TestDataError(
            f"{VENDOR}, line {number}: expected {len(header)} fields, found {len(fields)}",
            row=number,
        )
    row = dict(zip(header, fields, strict=True))
    where = f"line {number}"
    if "voltage_mv" in row:
        volts = _voltage(row["voltage_mv"], f"{where} voltage_mv", 1e-3)
    else:
        volts = _voltage(row["voltage_v"], f"{where} voltage_v")
    celsius = _temperature(row.get("temperature_c", ""), f"{where} temperature_c")
    return volts, celsius
