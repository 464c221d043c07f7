"""BioLogic EC-Lab files: binary `.mpr` through galvani, and the ASCII `.mpt` export.

galvani reads a whole `.mpr` into one numpy array (memory grows with the file, about 130 bytes
per record for a 31-column GCPL file); the `.mpt` text is streamed in batches. EC-Lab signs
current by the working electrode: positive oxidises it, which is charge for a cathode or a full
cell, so discharge is negative as the contract wants; in a half cell of an anode material
"discharge" (lithiation) is then positive, as galvani and EC-Lab write it.

An impedance-only record (every row has a frequency) is refused: it holds no cycling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from ..errors import TestDataError
from ..testdata import Batch, TestData
from . import _common as c
from ._rows import Table, chunks
from .cycles import CounterCheck

MPR_VENDOR = "BioLogic .mpr"
MPT_VENDOR = "BioLogic .mpt"
ENCODING = "latin-1"
SIGN = "negative (EC-Lab: positive current oxidises the working electrode)"
# Preferred first: Ecell is the full-cell voltage in a three-electrode setup.
_CURRENT = (("I/mA", 1e-3, "mA"), ("<I>/mA", 1e-3, "mA"), ("I/A", 1.0, "A"))
_VOLTAGE = (("Ecell/V", 1.0), ("Ewe/V", 1.0), ("<Ewe>/V", 1.0), ("Ewe-Ece/V", 1.0))
_HEADER_COUNT = re.compile(r"Nb header lines\s*:\s*(\d+)", re.IGNORECASE)


def _choose(names: list[str], vendor: str) -> dict[str, tuple[str, float, str]]:
    found = {}
    for name, factor, unit in _CURRENT:
        if name in names:
            found["current"] = (name, factor, unit)
            break
    for name, factor in _VOLTAGE:
        if name in names:
            found["voltage"] = (name, factor, "V")
            break
    if "time/s" in names:
        found["time"] = ("time/s", 1.0, "s")
    for role, what in (("time", "'time/s'"), ("current", "'I/mA'"), ("voltage", "'Ewe/V'")):
        if role not in found:
            raise TestDataError(
                f"{vendor}: no {what} column (columns: {', '.join(names[:15])}); "
                "export the cycling record with time, current and Ewe"
            )
    return found


def _impedance_only(vendor: str) -> TestDataError:
    return TestDataError(
        f"{vendor}: this is an impedance spectroscopy record (every row has a frequency in "
        "freq/Hz), not a charge/discharge record; upload the cycling data (GCPL) instead"
    )


def read_mpr(stream: BinaryIO, batch_rows: int) -> TestData:
    from galvani import BioLogic

    try:
        mpr = BioLogic.MPRfile(stream)
        data = mpr.data
    except Exception as exc:  # galvani raises ValueError, struct.error, KeyError, IndexError...
        raise TestDataError(f"{MPR_VENDOR}: galvani could not read the file ({exc})") from None
    names = list(data.dtype.names or ())
    cols = _choose(names, MPR_VENDOR)
    if len(data) == 0:
        raise TestDataError(f"{MPR_VENDOR}: the file holds no records")
    if "freq/Hz" in names and bool(np.all(data["freq/Hz"] > 0)):
        raise _impedance_only(MPR_VENDOR)
    warnings = _missing_counters(names, MPR_VENDOR)
    start = getattr(mpr, "timestamp", None) or getattr(mpr, "startdate", None)
    metadata = {"start": str(start)} if start is not None else {}

    def batches() -> Iterator[Batch]:
        check = CounterCheck(MPR_VENDOR, "cycle number")
        for first in range(0, len(data), batch_rows):
            part = data[first : first + batch_rows]
            values = {
                role: part[name].astype(np.float64) * f for role, (name, f, _) in cols.items()
            }
            cycle = _counter(part, "cycle number")
            check.add(values["current"], cycle)
            yield c.checked_batch(
                MPR_VENDOR, first + 1, values["time"], values["current"], values["voltage"],
                cycle, _counter(part, "Ns"),
            )  # fmt: skip
        if "cycle number" in names and (message := check.warning()) is not None:
            warnings.append(message)

    return TestData("biologic_mpr", _units(cols), batches, warnings=warnings, metadata=metadata)


def _counter(part: np.ndarray, name: str) -> np.ndarray:
    if name in (part.dtype.names or ()):
        return np.rint(part[name]).astype(np.int64)
    return np.zeros(len(part), np.int64)


def _missing_counters(names: list[str], vendor: str) -> list[str]:
    if "cycle number" in names:
        return []
    return [
        f"{vendor}: no 'cycle number' column, so every sample is in cycle 0; cycles can be "
        "re-derived from the current direction"
    ]


def _units(cols: dict[str, tuple[str, float, str]]) -> dict[str, str]:
    return {role: unit for role, (_, _, unit) in cols.items()} | {"discharge_sign": SIGN}


def read_mpt(stream: BinaryIO, batch_rows: int) -> TestData:
    origin = stream.tell()
    head = stream.read(c.HEAD_BYTES)
    lines = c.head_lines(head, ENCODING)
    index = _header_index(lines)
    names = [n.strip() for n in lines[index][2].split("\t")]
    while names and not names[-1]:
        names.pop()
    cols = _choose(names, MPT_VENDOR)
    offset, first_line = c.data_start(lines, index)
    row = lines[first_line - 1][2].split("\t") if first_line - 1 < len(lines) else []
    comma = c.decimal_comma([f.strip() for f in row])
    if "freq/Hz" in names and row:
        frequency = row[names.index("freq/Hz")].replace(",", ".").strip()
        if _float(frequency) > 0:
            raise _impedance_only(MPT_VENDOR)
    roles = {role: names.index(name) for role, (name, _, _) in cols.items()}
    for role, name in (("cycle", "cycle number"), ("step", "Ns")):
        if name in names:
            roles[role] = names.index(name)
    table = Table(
        MPT_VENDOR, offset, first_line, len(names), roles, sep="\t", encoding=ENCODING, comma=comma
    )
    warnings = _missing_counters(names, MPT_VENDOR)

    def batches() -> Iterator[Batch]:
        check = CounterCheck(MPT_VENDOR, "cycle number")
        rows = 0
        for frame in chunks(stream, origin, table, batch_rows):
            values = {
                role: c.numbers(table, frame, role, name) * factor
                for role, (name, factor, _) in cols.items()
            }
            zeros = np.zeros(len(frame), np.int64)
            cycle = c.integers(table, frame, "cycle", "cycle number") if "cycle" in roles else zeros
            step = c.integers(table, frame, "step", "Ns") if "step" in roles else zeros
            check.add(values["current"], cycle)
            rows += len(frame)
            yield c.checked_batch(
                MPT_VENDOR, c.line_of(table, frame, 0), values["time"], values["current"],
                values["voltage"], cycle, step,
            )  # fmt: skip
        if rows == 0:
            raise TestDataError(f"{MPT_VENDOR}: no data rows after the header")
        if "cycle" in roles and (message := check.warning()) is not None:
            warnings.append(message)

    return TestData("biologic_mpt", _units(cols), batches, warnings=warnings)


def _header_index(lines: list[tuple[int, int, str]]) -> int:
    """0-based index of the column header line."""
    if not lines:
        raise TestDataError(f"{MPT_VENDOR}: the file is empty")
    if lines[0][2].strip().upper().startswith("EC-LAB ASCII FILE"):
        match = _HEADER_COUNT.search(lines[1][2]) if len(lines) > 1 else None
        if match is None:
            raise TestDataError(f"{MPT_VENDOR}: no 'Nb header lines : N' on line 2")
        count = int(match.group(1))
        if not 3 <= count <= len(lines):
            raise TestDataError(
                f"{MPT_VENDOR}: 'Nb header lines : {count}' points past the first "
                f"{len(lines)} lines read; the file may be truncated"
            )
        return count - 1
    if "time/s" in lines[0][2].split("\t"):
        return 0
    raise TestDataError(f"{MPT_VENDOR}: the first line is neither 'EC-Lab ASCII FILE' nor a header")


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
