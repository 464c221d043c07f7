"""BioLogic EC-Lab files: binary `.mpr` through galvani, and the ASCII `.mpt` export.

galvani reads a whole `.mpr` into one numpy array (memory grows with the file, about 130 bytes
per record for a 31-column GCPL file); the `.mpt` text is streamed in batches. EC-Lab signs
current by the working electrode: positive oxidises it, which is charge for a cathode or a full
cell, so discharge is negative as the contract wants; in a half cell of an anode material
"discharge" (lithiation) is then positive, as galvani and EC-Lab write it.

An impedance-only record (every row has a frequency) is refused: it holds no cycling.

Current comes from `I/mA` where the file has it. A GCPL record saved without it (columns
`dq/mA.h`, `(Q-Qo)/mA.h`, `control/V/mA`, `Q charge/discharge/mA.h`) gives it from the charge
counted in each interval (dq over dt, or the differences of (Q-Qo)), signed by the ox/red flag
where the file has one, else by the increment; as a last resort the galvanostatic set-point
`control/mA`, with a warning. TestData.units["current"] says which. The cycler's own counter is
`Q charge/discharge/mA.h` (reset at each half cycle) or else `(Q-Qo)/mA.h`, as magnitudes in Ah.
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


_CHARGE_INCREMENT = ("dq/mA.h", "dQ/mA.h")
_CHARGE_TOTAL = ("(Q-Qo)/mA.h",)
_SET_POINT = ("control/mA", "control/V/mA")
_COUNTERS = ("Q charge/discharge/mA.h", "(Q-Qo)/mA.h")


def _choose(
    names: list[str], vendor: str, has_ox: bool = False
) -> dict[str, tuple[str, float, str]]:
    """role -> (column, factor, unit). A current derived from charge increments or the set-point
    is ('derived:<how>', column, unit label)."""
    found = {}
    for name, factor, unit in _CURRENT:
        if name in names:
            found["current"] = (name, factor, unit)
            break
    else:
        derived = _derived_current(names, has_ox or "ox/red" in names)
        if derived is not None:
            found["current"] = derived
    for name, factor in _VOLTAGE:
        if name in names:
            found["voltage"] = (name, factor, "V")
            break
    if "time/s" in names:
        found["time"] = ("time/s", 1.0, "s")
    for role, what in (("time", "'time/s'"), ("current", "'I/mA'"), ("voltage", "'Ewe/V'")):
        if role not in found:
            also = " (nor dq/mA.h, (Q-Qo)/mA.h or control/mA)" if role == "current" else ""
            raise TestDataError(
                f"{vendor}: no {what} column{also} (columns: {', '.join(names[:15])}); "
                "export the cycling record with time, current and Ewe"
            )
    counter = next((name for name in _COUNTERS if name in names), None)
    if counter is not None:
        found["counter"] = (counter, 1e-3, "mAh")
    return found


def _derived_current(names: list[str], has_ox: bool) -> tuple[str, float, str] | None:
    sign = "ox/red" if has_ox else "the increment's sign"
    for kind, columns in (("increment", _CHARGE_INCREMENT), ("total", _CHARGE_TOTAL)):
        for name in columns:
            if name in names:
                how = "per sample over its time step" if kind == "increment" else "differences"
                return (
                    f"derived:{kind}",
                    name,
                    f"mA (derived from {name} {how}, signed by {sign}; no I/mA column)",
                )
    for name in _SET_POINT:
        if name in names:
            return ("derived:setpoint", name, f"mA (the set-point {name}; no I/mA column)")
    return None


class _Current:
    """Amperes from a current column, or derived from the charge counted per interval; carries
    the last sample across batches."""

    def __init__(self, spec: tuple[str, float, str]) -> None:
        self.spec = spec
        self.last: tuple[float, float] | None = None  # time and (Q-Qo) of the last sample

    def __call__(self, column: np.ndarray, time: np.ndarray, ox: np.ndarray | None) -> np.ndarray:
        kind, second, _ = self.spec
        if not kind.startswith("derived:"):
            return column * second  # type: ignore[operator]
        if kind == "derived:setpoint":
            return column / 1000
        if kind == "derived:total":
            before = column[0] if self.last is None else self.last[1]
            charge = np.diff(np.concatenate(([before], column)))
        else:
            charge = column
        before_time = time[0] if self.last is None else self.last[0]
        dt = np.diff(np.concatenate(([before_time], time)))
        total = column[-1] if kind == "derived:total" else 0.0
        self.last = (float(time[-1]), float(total))
        with np.errstate(divide="ignore", invalid="ignore"):
            amps = np.where(dt > 0, charge * 3.6 / np.where(dt > 0, dt, 1.0), np.nan)
        amps = _fill_gaps(amps)
        if ox is not None:
            amps = np.where(ox, np.abs(amps), -np.abs(amps))
        return amps


def _fill_gaps(amps: np.ndarray) -> np.ndarray:
    """A sample with no time step since the last one (the first, or two records at one instant)
    takes the current of the next interval; 0 where there is none."""
    if not np.isnan(amps).any():
        return amps
    valid = np.flatnonzero(~np.isnan(amps))
    if valid.size == 0:
        return np.zeros_like(amps)
    nxt = np.searchsorted(valid, np.arange(len(amps)))
    nxt = np.minimum(nxt, valid.size - 1)
    return np.where(np.isnan(amps), amps[valid[nxt]], amps)


def _derivation_warning(cols: dict[str, tuple[str, float, str]], vendor: str) -> list[str]:
    kind, name, _ = cols["current"]
    if kind == "derived:setpoint":
        return [
            f"{vendor}: no I/mA column; the current is the galvanostatic set-point '{name}', "
            "not a measured current: figures assume the cycler held it exactly"
        ]
    if kind.startswith("derived:"):
        return [
            f"{vendor}: no I/mA column; the current was derived from the cycler's charge "
            f"counter '{name}' (charge per sample over its time step)"
        ]
    return []


def _current_name(cols: dict[str, tuple[str, float, str]]) -> str:
    kind, second, _ = cols["current"]
    return str(second) if kind.startswith("derived:") else kind


def _named(cols: dict[str, tuple[str, float, str]]) -> dict[str, str]:
    found = {"current": _current_name(cols), "voltage": cols["voltage"][0]}
    if "counter" in cols:
        found["capacity_counter"] = cols["counter"][0]
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
    flag = _mpr_flag(mpr, "ox/red") if "ox/red" not in names else None
    cols = _choose(names, MPR_VENDOR, has_ox=flag is not None)
    if len(data) == 0:
        raise TestDataError(f"{MPR_VENDOR}: the file holds no records")
    if "freq/Hz" in names and bool(np.all(data["freq/Hz"] > 0)):
        raise _impedance_only(MPR_VENDOR)
    warnings = _missing_counters(names, MPR_VENDOR) + _derivation_warning(cols, MPR_VENDOR)
    start = getattr(mpr, "timestamp", None) or getattr(mpr, "startdate", None)
    metadata = {"start": str(start)} if start is not None else {}
    ox = None
    if cols["current"][0] in ("derived:increment", "derived:total"):
        ox = data["ox/red"].astype(bool) if "ox/red" in names else flag

    def batches() -> Iterator[Batch]:
        check = CounterCheck(MPR_VENDOR, "cycle number")
        current = _Current(cols["current"])
        for first in range(0, len(data), batch_rows):
            part = data[first : first + batch_rows]
            time = part["time/s"].astype(np.float64)
            amps = current(
                part[_current_name(cols)].astype(np.float64),
                time,
                None if ox is None else ox[first : first + batch_rows],
            )
            voltage = part[cols["voltage"][0]].astype(np.float64) * cols["voltage"][1]
            counter = None
            if "counter" in cols:
                counter = np.abs(part[cols["counter"][0]].astype(np.float64)) / 1000
            cycle = _counter(part, "cycle number")
            check.add(amps, cycle)
            yield c.checked_batch(
                MPR_VENDOR, first + 1, time, amps, voltage, cycle, _counter(part, "Ns"), None,
                counter,
            )  # fmt: skip
        if "cycle number" in names and (message := check.warning()) is not None:
            warnings.append(message)

    return TestData(
        "biologic_mpr", _units(cols), batches, warnings=warnings, metadata=metadata,
        columns=_named(cols),
    )  # fmt: skip


def _mpr_flag(mpr: object, name: str) -> np.ndarray | None:
    """A flag galvani unpacks from the record's 'flags' byte (ox/red, mode), or None."""
    get = getattr(mpr, "get_flag", None)
    try:
        return None if get is None else np.asarray(get(name), dtype=bool)
    except Exception:  # galvani raises KeyError, AttributeError... for a file without flags
        return None


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
    found = {role: unit for role, (_, _, unit) in cols.items() if role != "counter"}
    if "counter" in cols:
        found["capacity_counter"] = f"mAh ({cols['counter'][0]})"
    return found | {"discharge_sign": SIGN}


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
    roles = {role: names.index(name) for role, (name, _, _) in cols.items() if role != "current"}
    roles["current"] = names.index(_current_name(cols))
    derived = cols["current"][0] in ("derived:increment", "derived:total")
    if derived and "ox/red" in names:
        roles["ox"] = names.index("ox/red")
    for role, name in (("cycle", "cycle number"), ("step", "Ns")):
        if name in names:
            roles[role] = names.index(name)
    table = Table(
        MPT_VENDOR, offset, first_line, len(names), roles, sep="\t", encoding=ENCODING, comma=comma
    )
    warnings = _missing_counters(names, MPT_VENDOR) + _derivation_warning(cols, MPT_VENDOR)

    def batches() -> Iterator[Batch]:
        check = CounterCheck(MPT_VENDOR, "cycle number")
        current = _Current(cols["current"])
        rows = 0
        for frame in chunks(stream, origin, table, batch_rows, warnings):
            time = c.numbers(table, frame, "time", "time/s")
            ox = c.numbers(table, frame, "ox", "ox/red") > 0 if "ox" in roles else None
            amps = current(c.numbers(table, frame, "current", _current_name(cols)), time, ox)
            voltage = c.numbers(table, frame, "voltage", cols["voltage"][0]) * cols["voltage"][1]
            zeros = np.zeros(len(frame), np.int64)
            cycle = c.integers(table, frame, "cycle", "cycle number") if "cycle" in roles else zeros
            step = c.integers(table, frame, "step", "Ns") if "step" in roles else zeros
            counter = c.counter(table, frame, [("counter", 1e-3)]) if "counter" in roles else None
            check.add(amps, cycle)
            rows += len(frame)
            yield c.checked_batch(
                MPT_VENDOR, c.line_of(table, frame, 0), time, amps, voltage, cycle, step, None,
                counter,
            )  # fmt: skip
        if rows == 0:
            raise TestDataError(f"{MPT_VENDOR}: no data rows after the header")
        if "cycle" in roles and (message := check.warning()) is not None:
            warnings.append(message)

    return TestData("biologic_mpt", _units(cols), batches, warnings=warnings, columns=_named(cols))


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
