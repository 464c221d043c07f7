"""Cycle numbers from the current alone, and a check that an instrument's counter advances.

Some procedures never advance the cycle counter (TRI's xTESLADIAG keeps Cyc# = 1 for 30
charge/discharge pairs; maccor_001 keeps Cyc# = 0), so per-cycle sums would add dozens of
discharges together. Readers keep the instrument's numbers and warn; the figures engine renumbers
(a new cycle starts at each charge sample whose last non-rest sample before it was a discharge).
"""

from __future__ import annotations

import numpy as np

# The counter check runs before the file's peak current is known; it treats as rest anything
# below this share of the largest current seen so far, so CV tails and rest noise (Arbin logs
# -0.1 mA at rest) do not count as direction changes.
_REST_SHARE = 0.02
_MIN_REST_A = 1e-6


def directions(current_a: np.ndarray, rest_threshold_a: float) -> np.ndarray:
    """+1 charge, -1 discharge, 0 rest, per sample."""
    d = np.zeros(len(current_a), np.int8)
    d[current_a > rest_threshold_a] = 1
    d[current_a < -rest_threshold_a] = -1
    return d


class CounterCheck:
    """Fed batch by batch; afterwards `warning()` says whether an instrument cycle held several
    discharges separated by charging (the counter did not advance with each pair)."""

    def __init__(self, vendor: str, counter: str) -> None:
        self.vendor, self.counter = vendor, counter
        self.peak = 0.0
        self.last: tuple[int, int] | None = None  # direction, cycle of the last moving sample
        self.discharges: dict[int, int] = {}  # cycle -> discharges separated by charging

    def add(self, current_a: np.ndarray, cycle: np.ndarray) -> None:
        if current_a.size == 0:
            return
        self.peak = max(self.peak, float(np.abs(current_a).max()))
        d = directions(current_a, max(_MIN_REST_A, _REST_SHARE * self.peak))
        moving = np.flatnonzero(d)
        if moving.size == 0:
            return
        dirs, cycles = d[moving].astype(np.int64), cycle[moving]
        last_dir, last_cycle = self.last or (0, int(cycles[0]) - 1)
        before_dir = np.concatenate(([last_dir], dirs[:-1]))
        before_cycle = np.concatenate(([last_cycle], cycles[:-1]))
        starts = (dirs == -1) & ((before_dir != -1) | (cycles != before_cycle))
        for number, count in zip(*np.unique(cycles[starts], return_counts=True), strict=True):
            self.discharges[int(number)] = self.discharges.get(int(number), 0) + int(count)
        self.last = (int(dirs[-1]), int(cycles[-1]))

    def warning(self) -> str | None:
        stalled = {n: k for n, k in self.discharges.items() if k > 1}
        if not stalled:
            return None
        worst = max(stalled, key=stalled.__getitem__)
        others = len(stalled) - 1
        more = f" (and {others} other cycle{'s' if others > 1 else ''})" if others else ""
        return (
            f"{self.vendor}: cycle {worst} as numbered by '{self.counter}' holds "
            f"{stalled[worst]} discharges separated by charging{more}: the counter does not "
            "advance with every charge/discharge pair; cycles are kept as the instrument "
            "numbered them and can be re-derived from the current direction"
        )
