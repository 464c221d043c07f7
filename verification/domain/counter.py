"""The cycler's own capacity counter against the integrated current.

A current column whose unit label is wrong (mA under an `Amps` header) integrates to a capacity
1000 times too large, and nothing in the current alone says so. Most cyclers also log their own
running capacity (Maccor `Amp-hr`, Arbin `Discharge_Capacity`, Neware and BioLogic `Q`), counted
inside the instrument at a far higher rate than it logs: the two must agree. Counters reset at
step or cycle starts, so only sample pairs where the counter did not fall are compared, and only
pairs that are both charge or both discharge (the integration's own rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cycles import Window
from .errors import TestDataError

# Logged samples integrate to within a few tenths of a percent of the counter on the real files
# (tests/data/cycler); a sparse log of a fast step can differ by a few percent.
TOLERANCE = 0.05
# Differences of floats carry noise (1.05 - 1 is 0.050000000000000044): a ratio exactly on the
# tolerance must not warn on that noise.
_EPSILON = 1e-9
# A ratio within this factor of 1000 (either way) is a milli/unit slip, not a drift.
UNIT_SLIP = 1000.0
UNIT_SLIP_BAND = 3.0
# Below this much counted charge the comparison says nothing (a few seconds of a test).
MIN_COUNTED_SHARE = 0.5


@dataclass(frozen=True)
class CounterResult:
    integrated_ah: float
    counter_ah: float
    pairs: int
    ratio: float | None  # integrated / counter

    def to_dict(self, column: str) -> dict:
        return {
            "column": column,
            "integrated_ah": self.integrated_ah,
            "counter_ah": self.counter_ah,
            "sample_pairs": self.pairs,
            "ratio": self.ratio,
        }


class CounterCheck:
    def __init__(self) -> None:
        self._last: float | None = None
        self.integrated_ah = 0.0
        self.counter_ah = 0.0
        self.total_ah = 0.0  # all charge and discharge pairs, counted or not
        self.pairs = 0

    def add(self, w: Window, counter: np.ndarray) -> None:
        """counter: this batch's counter values (the window's samples after its first)."""
        first = counter[0] if self._last is None else self._last
        values = np.concatenate(([first], counter))
        self._last = float(counter[-1])
        step = values[1:] - values[:-1]
        moving = w.charge | w.discharge
        self.total_ah += float(w.ah[moving].sum())
        counted = moving & np.isfinite(step) & (step >= 0)
        self.integrated_ah += float(w.ah[counted].sum())
        self.counter_ah += float(step[counted].sum())
        self.pairs += int(np.count_nonzero(counted))

    def result(self) -> CounterResult | None:
        if not self.pairs or not self.counter_ah > 0 or not self.integrated_ah > 0:
            return None
        if self.integrated_ah < MIN_COUNTED_SHARE * self.total_ah:
            return None  # the counter covers too little of the test to judge it
        return CounterResult(
            self.integrated_ah,
            self.counter_ah,
            self.pairs,
            self.integrated_ah / self.counter_ah,
        )


def counter_warnings(result: CounterResult | None, columns: dict[str, str]) -> list[str]:
    """[] or one warning when the two disagree beyond TOLERANCE; TestDataError for a unit slip,
    naming the columns (the figures would be 1000 times off)."""
    if result is None or result.ratio is None:
        return []
    ratio = result.ratio
    current = columns.get("current", "current")
    counter = columns.get("capacity_counter", "capacity counter")
    factor = ratio if ratio >= 1 else 1 / ratio
    if abs(math.log(factor / UNIT_SLIP)) <= math.log(UNIT_SLIP_BAND):
        direction = "larger" if ratio > 1 else "smaller"
        raise TestDataError(
            f"the current in '{current}' integrates to {factor:.4g} times {direction} a capacity "
            f"({result.integrated_ah:.4g} Ah) than the cycler's own counter '{counter}' "
            f"({result.counter_ah:.4g} Ah): one of the two columns is in milli-units under a "
            "unit header; export the file with the units its headers state"
        )
    if abs(ratio - 1) > TOLERANCE + _EPSILON:
        return [
            f"the integrated current ('{current}', {result.integrated_ah:.4g} Ah) and the "
            f"cycler's own capacity counter ('{counter}', {result.counter_ah:.4g} Ah) differ by "
            f"{(ratio - 1) * 100:+.1f} %: the log may be too sparse for the test's steps, or a "
            "column's unit is wrong; the figures are from the integrated current"
        ]
    return []
