"""Which numbering and which cycle the SOH is measured on, the per-cycle rows, and the fade."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cycles import CycleBook, CycleTotals, mean_discharge_current_a
from .errors import TestDataError
from .metrics import FULL_CYCLE_SHARE
from .onepass import OnePass

SKIPPED_CYCLES_LISTED = 3


def choose_numbering(p: OnePass, warnings: list[str]) -> tuple[CycleBook, bool]:
    """The instrument's cycles, unless one of them holds several charge/discharge pairs *and*
    re-deriving finds more full discharges (a stalled counter, not a pulse test)."""
    stalled = [(n, t.discharges) for n, t in p.instrument.cycles.items() if t.discharges > 1]
    if not stalled:
        return p.instrument, False
    number, count = stalled[0]
    if full_cycles(p.derived) <= full_cycles(p.instrument):
        warnings.append(
            f"cycle {number} holds {count} discharges separated by charging; its discharge "
            "capacity adds them up"
        )
        return p.instrument, False
    warnings.append(
        f"cycle {number} holds {count} discharges separated by charging, so the cycle counter "
        "does not mark charge/discharge pairs; cycles were re-derived from the current: each "
        "charge after a discharge starts a new cycle"
    )
    return p.derived, True


def full_cycles(book: CycleBook) -> int:
    largest = max((t.discharge_ah for t in book.cycles.values()), default=0.0)
    if not largest > 0:
        return 0
    return sum(t.discharge_ah >= FULL_CYCLE_SHARE * largest for t in book.cycles.values())


# A file that charges far more than it ever discharges is not a capacity test, or has its
# current's sign the wrong way round: worth saying next to any SOH read from it.
LOPSIDED_SHARE = 0.2
# Full discharges whose mean currents are within this factor count as one test rate.
SAME_RATE_FACTOR = 1.25


def complete_cycles(cycles: dict[int, CycleTotals]) -> dict[int, CycleTotals]:
    """The cycles whose discharge ended at the lower cutoff (all, when none was judged)."""
    return {n: t for n, t in cycles.items() if t.end is None or t.end.complete}


def choose_cycle(
    file_format: str, cycles: dict[int, CycleTotals], saw_negative: bool, warnings: list[str]
) -> int | None:
    """The last full discharge (FULL_CYCLE_SHARE of the largest) at the lowest rate that gave
    one, among the complete ones: a capacity check-up at C/10 between 1C ageing cycles, or the
    C/10 step of a rate test, is the capacity figure; a faster discharge delivers less and would
    understate SOH. None when the file has discharges but none ended at the lower cutoff."""
    _require_discharge(file_format, cycles, saw_negative)
    largest = max(t.discharge_ah for t in cycles.values())
    charged = max(t.charge_ah for t in cycles.values())
    if largest < LOPSIDED_SHARE * charged:
        warnings.append(
            f"the largest discharge ({largest:.4g} Ah) is under {LOPSIDED_SHARE:.0%} of the "
            f"largest charge ({charged:.4g} Ah): this may not be a capacity test, or the current's "
            "sign may be reversed (declare the format or check the export's sign convention)"
        )
    complete = complete_cycles(cycles)
    if not any(t.discharge_ah > 0 for t in complete.values()):
        return None
    return _choose(complete, warnings)


def _require_discharge(
    file_format: str, cycles: dict[int, CycleTotals], saw_negative: bool
) -> None:
    largest = max(t.discharge_ah for t in cycles.values())
    if not largest > 0:
        if saw_negative:
            raise TestDataError(
                "no discharge found: negative current appears only in isolated samples, "
                "so no discharge capacity can be integrated"
            )
        where = "the canonical CSV" if file_format == "canonical_csv" else "the canonical columns"
        raise TestDataError(
            f"no discharge found: {where} record discharge current as negative; "
            "this file has no negative current"
        )


def _choose(cycles: dict[int, CycleTotals], warnings: list[str]) -> int:
    largest = max(t.discharge_ah for t in cycles.values())
    numbers = list(cycles)
    full = full_by_rate(cycles)
    slowest = full[0]
    chosen = slowest[-1]
    faster = [n for group in full[1:] for n in group if n > chosen]
    if faster:
        warnings.append(
            f"{len(faster)} later full discharge(s) at a higher rate (cycles "
            f"{_listed(faster)}) not used for SOH: it is read at the lowest rate tested "
            f"({mean_discharge_current_a(cycles[chosen]):.4g} A), where the most capacity shows"
        )
    if chosen == numbers[0] and not cycles[chosen].charge_ah > 0:
        warnings.append(
            f"cycle {chosen}'s discharge is not preceded by a charge in this file, so it may not "
            "start from a full pack and the SOH may be understated: upload a test that charges "
            "fully before the capacity discharge"
        )
    in_full = {n for group in full for n in group}
    later = [
        n
        for n in numbers[numbers.index(chosen) + 1 :]
        if cycles[n].discharge_ah > 0 and n not in in_full
    ]
    for number in later[:SKIPPED_CYCLES_LISTED]:
        warnings.append(
            f"cycle {number} skipped: its discharge ({cycles[number].discharge_ah:.4g} Ah) is "
            f"below {FULL_CYCLE_SHARE:.0%} of the largest ({largest:.4g} Ah), so it looks "
            "truncated or partial"
        )
    if len(later) > SKIPPED_CYCLES_LISTED:
        warnings.append(f"{len(later) - SKIPPED_CYCLES_LISTED} more cycles skipped for that reason")
    return chosen


def full_by_rate(cycles: dict[int, CycleTotals]) -> list[list[int]]:
    """Full-discharge cycle numbers grouped by test rate, slowest group first, each group in
    file order. A group holds the cycles within SAME_RATE_FACTOR of its slowest one."""
    largest = max(t.discharge_ah for t in cycles.values())
    full = [n for n, t in cycles.items() if t.discharge_ah >= FULL_CYCLE_SHARE * largest > 0]
    by_rate = sorted(full, key=lambda n: mean_discharge_current_a(cycles[n]))
    groups: list[list[int]] = []
    floor = 0.0
    for number in by_rate:
        rate = mean_discharge_current_a(cycles[number])
        if not groups or rate > floor * SAME_RATE_FACTOR:
            groups.append([])
            floor = rate
        groups[-1].append(number)
    order = {n: i for i, n in enumerate(cycles)}
    return [sorted(group, key=order.__getitem__) for group in groups]


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:SKIPPED_CYCLES_LISTED])
    return shown if len(numbers) <= SKIPPED_CYCLES_LISTED else f"{shown}, ..."


@dataclass(frozen=True, slots=True)
class CycleFigures:
    """One cycle's figures as shown and stored; mean current and C-rate are None for a cycle
    without discharge, voltage and temperature None where the file has none."""

    cycle: int
    charge_capacity_ah: float
    discharge_capacity_ah: float
    charge_energy_wh: float
    discharge_energy_wh: float
    mean_discharge_current_a: float | None
    c_rate: float | None
    min_voltage_v: float | None
    max_temperature_c: float | None


def cycle_row(number: int, t: CycleTotals, nominal_ah: float) -> CycleFigures:
    mean = t.discharge_ah * 3600 / t.discharge_s if t.discharge_s > 0 else None
    return CycleFigures(
        cycle=int(number),
        charge_capacity_ah=float(t.charge_ah),
        discharge_capacity_ah=float(t.discharge_ah),
        charge_energy_wh=float(t.charge_wh),
        discharge_energy_wh=float(t.discharge_wh),
        mean_discharge_current_a=None if mean is None else float(mean),
        c_rate=None if mean is None else float(mean / nominal_ah),
        min_voltage_v=float(t.min_voltage_v) if math.isfinite(t.min_voltage_v) else None,
        max_temperature_c=None if np.isnan(t.max_temperature_c) else float(t.max_temperature_c),
    )


def fade(cycles: dict[int, CycleTotals]) -> float | None:
    """Percent of the first full cycle's capacity lost per 100 cycles (least squares), over the
    test rate with the most full cycles: mixing rates would read a rate test as fade."""
    complete = complete_cycles(cycles)
    if not any(t.discharge_ah > 0 for t in complete.values()):
        return None
    groups = full_by_rate(complete)
    if not groups:
        return None
    group = max(groups, key=len)  # max keeps the first, slowest, of equal lengths
    if len(group) < 3:
        return None
    x = np.array(group, dtype=np.float64)
    y = np.array([complete[n].discharge_ah for n in group])
    dx = x - x.mean()
    if not (dx @ dx) > 0:
        return None
    slope = float(dx @ (y - y.mean()) / (dx @ dx))
    return -slope * 100 / y[0] * 100
