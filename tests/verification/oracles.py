"""Reference code the tests check the app against; nothing in the app uses it.

- `open_canonical_csv`: the canonical CSV read row by row by the specification's reader
  (verification/domain/canonical_csv.py), as Samples;
- `summarise_cycles`: capacity and energy per cycle integrated sample by sample, in pure Python:
  the oracle for the vectorised figures engine;
- `derive_cycles`: cycle numbers from the current alone, by the figures engine's rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import BinaryIO

import numpy as np

from verification.domain.canonical_csv import CanonicalCsv, Sample, _text_lines
from verification.domain.errors import TestDataError
from verification.domain.formats.cycles import directions
from verification.domain.metrics import FULL_CYCLE_SHARE


def open_canonical_csv(stream: BinaryIO) -> CanonicalCsv:
    """Read the canonical CSV from a binary file; decoding errors surface as TestDataError."""
    return CanonicalCsv(_text_lines(stream))


@dataclass(frozen=True)
class CycleFigures:
    cycle: int
    charge_capacity_ah: float
    discharge_capacity_ah: float
    charge_energy_wh: float
    discharge_energy_wh: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CapacityResult:
    cycles: tuple[CycleFigures, ...]
    discharge_capacity_ah: float
    cycle_used: int
    sample_count: int
    max_temperature_c: float | None
    mean_discharge_current_a: float
    warnings: tuple[str, ...]


class _Totals:
    __slots__ = (
        "charge_ah",
        "charge_wh",
        "discharge_ah",
        "discharge_s",
        "discharge_wh",
        "discharges",
        "last_direction",
    )

    def __init__(self) -> None:
        self.charge_ah = self.charge_wh = self.discharge_ah = self.discharge_wh = 0.0
        self.discharge_s = 0.0
        self.discharges = 0  # separate discharge segments, to catch a cycle counter that stalls
        self.last_direction = ""


def summarise_cycles(
    samples: Iterable[Sample], *, rest_threshold_a: float = 1e-3
) -> CapacityResult:
    """Integrate |I| dt and |I| V dt (trapezoid) over sample pairs in the same cycle that are both
    discharge (I < -threshold) or both charge (I > threshold)."""
    if not rest_threshold_a >= 0:
        raise ValueError("rest_threshold_a must be zero or positive")
    totals: dict[int, _Totals] = {}
    previous: Sample | None = None
    count = 0
    max_temperature: float | None = None
    saw_negative = False
    for sample in samples:
        count += 1
        saw_negative = saw_negative or sample.current_a < -rest_threshold_a
        if sample.temperature_c is not None and (
            max_temperature is None or sample.temperature_c > max_temperature
        ):
            max_temperature = sample.temperature_c
        cycle = totals.get(sample.cycle)
        if cycle is None:
            cycle = totals[sample.cycle] = _Totals()
        if previous is not None and previous.cycle == sample.cycle:
            _integrate(cycle, previous, sample, rest_threshold_a, count)
        previous = sample
    if count < 2:
        raise TestDataError(f"at least two samples are needed to integrate capacity; found {count}")
    return _result(totals, count, max_temperature, saw_negative)


def _integrate(cycle: _Totals, a: Sample, b: Sample, threshold: float, number: int) -> None:
    dt = b.time_s - a.time_s
    if dt < 0:
        raise TestDataError(f"sample {number}: time goes backwards ({b.time_s} after {a.time_s})")
    if a.current_a < -threshold and b.current_a < -threshold:
        if cycle.last_direction != "discharge":
            cycle.discharges += 1
            cycle.last_direction = "discharge"
        cycle.discharge_ah += (-a.current_a - b.current_a) / 2 * dt / 3600
        power = -a.current_a * a.voltage_v - b.current_a * b.voltage_v
        cycle.discharge_wh += power / 2 * dt / 3600
        cycle.discharge_s += dt
    elif a.current_a > threshold and b.current_a > threshold:
        cycle.last_direction = "charge"
        cycle.charge_ah += (a.current_a + b.current_a) / 2 * dt / 3600
        power = a.current_a * a.voltage_v + b.current_a * b.voltage_v
        cycle.charge_wh += power / 2 * dt / 3600


def _result(
    totals: dict[int, _Totals], count: int, max_temperature: float | None, saw_negative: bool
) -> CapacityResult:
    figures = tuple(
        CycleFigures(number, t.charge_ah, t.discharge_ah, t.charge_wh, t.discharge_wh)
        for number, t in totals.items()
    )
    largest = max(f.discharge_capacity_ah for f in figures)
    if largest <= 0:
        if saw_negative:
            raise TestDataError(
                "no discharge found: negative current appears only in isolated samples, "
                "so no discharge capacity can be integrated"
            )
        raise TestDataError(
            "no discharge found: the canonical CSV records discharge current as negative; "
            "this file has no negative current"
        )
    full = [f for f in figures if f.discharge_capacity_ah >= FULL_CYCLE_SHARE * largest]
    chosen = full[-1]
    warnings = []
    for f in figures[figures.index(chosen) + 1 :]:
        if f.discharge_capacity_ah > 0:
            warnings.append(
                f"cycle {f.cycle} skipped: its discharge ({f.discharge_capacity_ah:.4g} Ah) is "
                f"below {FULL_CYCLE_SHARE:.0%} of the largest ({largest:.4g} Ah), so it looks "
                "truncated or partial"
            )
    for number, t in totals.items():
        if t.discharges > 1:
            warnings.append(
                f"cycle {number} holds {t.discharges} discharges separated by charging; give each "
                "charge/discharge pair its own cycle number, or capacities add up"
            )
    discharge_s = totals[chosen.cycle].discharge_s
    result = CapacityResult(
        cycles=figures,
        discharge_capacity_ah=chosen.discharge_capacity_ah,
        cycle_used=chosen.cycle,
        sample_count=count,
        max_temperature_c=max_temperature,
        mean_discharge_current_a=chosen.discharge_capacity_ah * 3600 / discharge_s,
        warnings=tuple(warnings),
    )
    numbers = [result.mean_discharge_current_a]
    numbers += [value for f in figures for value in asdict(f).values()]
    if not all(map(math.isfinite, numbers)):
        # Only absurd time stamps (gaps of ~1e300 s) get here; stored figures must stay finite.
        raise TestDataError("the capacity figures overflow; check time_s for absurd values")
    return result


def derive_cycles(current_a: np.ndarray, *, rest_threshold_a: float) -> np.ndarray:
    """Cycle numbers from 1: a new cycle at each charge sample that follows a discharge (rests in
    between ignored). Discharge current is negative."""
    current = np.asarray(current_a, dtype=np.float64)
    if not rest_threshold_a >= 0:
        raise ValueError("rest_threshold_a must be a non-negative number")
    d = directions(current, rest_threshold_a)
    moving = np.flatnonzero(d)
    marks = np.zeros(len(current), np.int64)
    if moving.size > 1:
        dirs = d[moving]
        starts = moving[1:][(dirs[1:] == 1) & (dirs[:-1] == -1)]
        marks[starts] = 1
    return 1 + np.cumsum(marks)
