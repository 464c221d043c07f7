"""Physically plausible canonical CSV for demo data and tests.

The model is an OCV curve plus an ohmic drop. The cell's capacity at the test rate is set so that
a CC discharge from full to the lower cut-off delivers exactly nominal x SOH, which is what
the reference integrator (tests/verification/oracles.py) and the figures engine should measure.
"""

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from .canonical_csv import CANONICAL_COLUMNS

REST_S = 1800.0
_Table = tuple[tuple[float, float], ...]
# (state of charge, cell OCV in V), both increasing. The ends are the charge and discharge limits.
_OCV_SLOPED = (
    (0, 3.0), (0.03, 3.3), (0.1, 3.45), (0.2, 3.55), (0.4, 3.65), (0.6, 3.8), (0.8, 3.95),
    (0.95, 4.1), (1, 4.2),
)  # fmt: skip
_OCV_LFP = (
    (0, 2.5), (0.02, 2.95), (0.05, 3.12), (0.1, 3.2), (0.3, 3.26), (0.6, 3.3), (0.9, 3.34),
    (0.96, 3.4), (0.99, 3.52), (1, 3.65),
)  # fmt: skip
_OCV_LTO = (
    (0, 1.5), (0.03, 1.95), (0.1, 2.15), (0.5, 2.3), (0.9, 2.42), (0.97, 2.55), (1, 2.8),
)  # fmt: skip


@dataclass(frozen=True)
class _Chemistry:
    ocv: _Table
    ohm_ah: float  # cell DC resistance x cell capacity: a bigger cell has a lower resistance

    @property
    def v_min(self) -> float:
        return self.ocv[0][1]

    @property
    def v_max(self) -> float:
        return self.ocv[-1][1]


_CHEMISTRIES = {
    "LFP": _Chemistry(_OCV_LFP, 0.06),
    "NMC": _Chemistry(_OCV_SLOPED, 0.08),
    "NCA": _Chemistry(_OCV_SLOPED, 0.08),
    "LMO": _Chemistry(_OCV_SLOPED, 0.1),
    "LTO": _Chemistry(_OCV_LTO, 0.04),
}


def _interpolate(points: _Table, x: float, *, inverse: bool = False) -> float:
    pairs = [(b, a) for a, b in points] if inverse else list(points)
    x = min(max(x, pairs[0][0]), pairs[-1][0])
    for (x0, y0), (x1, y1) in pairwise(pairs):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return pairs[-1][1]


def _times(
    start: float, duration: float, interval: float, detail_s: float = 0.0
) -> Iterator[tuple[float, float]]:
    """(time, time into the step), including both ends, so integrals over a step are exact.
    The first detail_s seconds are sampled every second, as cyclers log a step change."""
    dense = [float(k) for k in range(math.ceil(min(detail_s, duration)))]
    steps = max(1, math.ceil(duration / interval - 1e-9))
    regular = [k * interval for k in range(steps) if k * interval >= len(dense)]
    for offset in (*dense, *regular):
        yield start + offset, offset
    yield start + duration, duration


def synthetic_cycling_lines(
    *,
    chemistry: str,
    nominal_capacity_ah: float,
    cells_series: int,
    soh_pct: float,
    cycles: int = 2,
    c_rate: float = 0.5,
    sample_interval_s: float = 10.0,
    temperature_c: float = 25.0,
    resistance_mohm: float | None = None,
    seed: int = 0,
    step_detail_s: float = 0.0,
    cell_voltages: bool = False,
) -> Iterator[str]:
    """Canonical CSV lines: per cycle CC-CV charge, rest, CC discharge, rest. Arguments are
    checked before the first line is asked for. step_detail_s > 0 samples the start of every
    step each second, which is what DC resistance needs (10 s covers the 1 s and 10 s pulse).
    cell_voltages adds cell_1_v ... cell_n_v, one cell sagging at the end of each discharge."""
    numbers = (
        nominal_capacity_ah,
        soh_pct,
        c_rate,
        sample_interval_s,
        temperature_c,
        step_detail_s,
    )
    if not all(map(math.isfinite, (*numbers, resistance_mohm or 0.0))):
        raise ValueError("all numeric arguments must be finite")
    if not (nominal_capacity_ah > 0 and cells_series >= 1 and 0 < soh_pct <= 150):
        raise ValueError("need nominal_capacity_ah > 0, cells_series >= 1 and 0 < soh_pct <= 150")
    if not (cycles >= 1 and 0 < c_rate <= 10 and sample_interval_s > 0):
        raise ValueError("need cycles >= 1, 0 < c_rate <= 10 and sample_interval_s > 0")
    if resistance_mohm is not None and resistance_mohm < 0:
        raise ValueError("resistance_mohm must be zero or positive")
    chem = _CHEMISTRIES.get(chemistry.strip().upper(), _CHEMISTRIES["NMC"])
    if resistance_mohm is None:
        # Resistance grows as the pack ages; the factor is a rough fit, not a law.
        aged = 1 + (100 - soh_pct) / 100
        resistance_mohm = 1000 * cells_series * chem.ohm_ah / nominal_capacity_ah * aged
    current = c_rate * nominal_capacity_ah
    drop = current * resistance_mohm / 1000 / cells_series  # per cell
    if 2 * drop >= (chem.v_max - chem.v_min) / 2:
        raise ValueError("the resistance is too high for this c_rate: the pack hits its limits")
    cutoff = min(0.05 * nominal_capacity_ah, current / 4)  # C/20 ends the CV tail
    pack = _Pack(chem, cells_series, nominal_capacity_ah * soh_pct / 100, current, drop)
    pack.detail_s = max(0.0, float(step_detail_s))
    pack.cell_voltages = cell_voltages
    return pack.lines(cycles, cutoff, sample_interval_s, temperature_c, c_rate, random.Random(seed))


class _Pack:
    """An OCV curve plus an ohmic drop, and a little heat."""

    def __init__(
        self, chem: _Chemistry, cells: int, delivered_ah: float, current: float, drop: float
    ) -> None:
        self.chem, self.cells, self.current, self.drop = chem, cells, current, drop
        self.delivered_ah = delivered_ah
        # Discharge ends where OCV minus the drop meets the cut-off, so the usable capacity at
        # this rate is below the OCV capacity; size the OCV capacity to deliver nominal x SOH.
        self.soc_empty = _interpolate(chem.ocv, chem.v_min + drop, inverse=True)
        self.soc_cv = _interpolate(chem.ocv, chem.v_max - drop, inverse=True)
        self.full_ah = delivered_ah / (1 - self.soc_empty)
        self.heat = 0.0  # degrees above ambient
        self.detail_s = 0.0
        self.cell_voltages = False

    def _step(self, start: float, duration: float, interval: float, heat_to: float | None):
        """Sample times over one step; heat moves linearly to heat_to, or decays if None."""
        heat = self.heat
        for t, dt in _times(start, duration, interval, self.detail_s):
            if heat_to is None:
                self.heat = heat * math.exp(-dt / 900)
            else:
                self.heat = heat + (heat_to - heat) * dt / duration
            yield t, dt

    def lines(
        self, cycles: int, cutoff: float, interval: float, ambient: float, c_rate: float,
        rng: random.Random,
    ) -> Iterator[str]:  # fmt: skip
        chem, current, drop, full_ah = self.chem, self.current, self.drop, self.full_ah

        # Cells differ by a few mV; one, a little weaker, sags at the end of each discharge
        # while the others sit correspondingly higher, so the pack voltage is unchanged.
        offsets = [rng.gauss(0, 0.002) for _ in range(self.cells)] if self.cell_voltages else []
        offsets = [o - sum(offsets) / len(offsets) for o in offsets]  # cells add up to the pack
        weakest = rng.randrange(self.cells) if self.cell_voltages else 0

        def line(
            t: float, amps: float, cell_v: float, cycle: int, step: int, depth: float = 0.0
        ) -> str:
            noisy_amps = amps * (1 + rng.gauss(0, 5e-4)) if amps else 0.0
            volts = self.cells * cell_v + rng.gauss(0, 3e-4 * self.cells)
            temp = ambient + self.heat + rng.gauss(0, 0.05)
            row = f"{t:.3f},{noisy_amps:.6g},{volts:.4f},{temp:.2f},{cycle},{step}"
            if self.cell_voltages:
                sag = 0.12 * depth**6 if self.cells > 1 else 0.0
                share = sag / max(self.cells - 1, 1)
                cells = [
                    volts / self.cells + offset + (-sag if i == weakest else share)
                    for i, offset in enumerate(offsets)
                ]
                row += "".join(f",{v:.4f}" for v in cells)
            return row + "\n"

        header = [*CANONICAL_COLUMNS[:3], "temperature_c", *CANONICAL_COLUMNS[3:]]
        if self.cell_voltages:
            header += [f"cell_{i + 1}_v" for i in range(self.cells)]
        yield ",".join(header) + "\n"
        t0 = 0.0
        for cycle in range(1, cycles + 1):
            cc_s = (self.soc_cv - self.soc_empty) * full_ah * 3600 / current
            for t, dt in self._step(t0, cc_s, interval, heat_to=1 + 2 * c_rate):
                soc = self.soc_empty + current * dt / 3600 / full_ah
                yield line(t, current, _interpolate(chem.ocv, soc) + drop, cycle, 1)
            t0 += cc_s
            tail_ah = (1 - self.soc_cv) * full_ah
            if tail_ah > 0:
                # An exponential decay to the cut-off current that puts in exactly the tail.
                tau = tail_ah * 3600 / (current - cutoff)
                cv_s = tau * math.log(current / cutoff)
                for t, dt in self._step(t0, cv_s, interval, heat_to=None):
                    yield line(t, current * math.exp(-dt / tau), chem.v_max, cycle, 2)
                t0 += cv_s
            for t, _ in self._step(t0, REST_S, interval, heat_to=None):
                yield line(t, 0.0, chem.v_max, cycle, 3)
            t0 += REST_S
            discharge_s = self.delivered_ah * 3600 / current
            for t, dt in self._step(t0, discharge_s, interval, heat_to=2 + 4 * c_rate):
                soc = 1 - current * dt / 3600 / full_ah
                depth = (1 - soc) / (1 - self.soc_empty)
                yield line(t, -current, _interpolate(chem.ocv, soc) - drop, cycle, 4, depth)
            t0 += discharge_s
            # The terminal voltage relaxes from the cut-off back up to the OCV.
            for t, dt in self._step(t0, REST_S, interval, heat_to=None):
                yield line(t, 0.0, chem.v_min + drop - drop * math.exp(-dt / 120), cycle, 5)
            t0 += REST_S


def synthetic_cycling_csv(**kwargs) -> str:
    """The whole file as one string; see synthetic_cycling_lines for the arguments."""
    return "".join(synthetic_cycling_lines(**kwargs))
