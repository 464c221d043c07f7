"""Per-cycle capacity and energy, accumulated batch by batch, plus the discharge the SOH will use.

Integration is the reference integrator's (tests/verification/oracles.py), vectorised:
trapezoids of |I| dt and |I| V dt over sample pairs in the same cycle that are both discharge or
both charge. Each batch is seen through
a `Window` that starts with the previous batch's last sample, so pairs (and steps, and rests)
straddle batch boundaries without special cases.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .curves import Decimator
from .discharge_end import DischargeEnd
from .metrics import FULL_CYCLE_SHARE

# How a discharge ended, told from its own curve (discharge_end.judge with the pack's cutoff
# bound in): (Ah so far, V, |I|, discharge seconds, discharge sample pairs, ran to the end of
# the file, voltage limits of earlier complete discharges) -> DischargeEnd.
EndJudge = Callable[
    [np.ndarray, np.ndarray, np.ndarray, float, int, bool, tuple[tuple[float, int], ...]],
    DischargeEnd,
]


class Window:
    """One batch preceded by the sample before it (on the first batch, a copy of its first)."""

    def __init__(
        self,
        time: np.ndarray,
        current: np.ndarray,
        voltage: np.ndarray,
        step: np.ndarray,
        temperature: np.ndarray | None,
        cells: np.ndarray | None,
        rest_threshold_a: float,
    ) -> None:
        self.time, self.current, self.voltage, self.step = time, current, voltage, step
        self.temperature = temperature  # this batch's samples only, like cells
        self.cells = cells  # (rows, cells) in volts
        charging = current > rest_threshold_a
        discharging = current < -rest_threshold_a
        # +1 charge, -1 discharge, 0 rest: booleans viewed as 0/1 bytes, without masked writes.
        self.direction = charging.view(np.int8) - discharging.view(np.int8)
        self.rest = self.direction == 0
        self.dt = time[1:] - time[:-1]
        self.discharge = discharging[:-1] & discharging[1:]
        self.charge = charging[:-1] & charging[1:]
        amps = np.abs(current)
        # Same operation order as the reference integrator (tests/verification/oracles.py), so
        # both give the same bits on the same samples; in place, to spare the temporaries.
        ah = amps[:-1] + amps[1:]
        ah /= 2
        ah *= self.dt
        ah /= 3600
        self.ah = ah
        power = amps * voltage
        wh = power[:-1] + power[1:]
        wh /= 2
        wh *= self.dt
        wh /= 3600
        self.wh = wh
        self._moving: np.ndarray | None = None

    @property
    def moving(self) -> np.ndarray:
        """Indices of the samples not at rest, found once for the parts that need them."""
        if self._moving is None:
            self._moving = np.flatnonzero(self.direction)
        return self._moving


@dataclass
class CycleTotals:
    charge_ah: float = 0.0
    discharge_ah: float = 0.0
    charge_wh: float = 0.0
    discharge_wh: float = 0.0
    discharge_s: float = 0.0
    min_voltage_v: float = np.inf
    max_temperature_c: float = np.nan
    discharges: int = 0  # discharge segments separated by charging: a stalled cycle counter
    discharge_pairs: int = 0
    end: DischargeEnd | None = None  # how its discharge ended; None without a discharge


@dataclass(frozen=True)
class Candidate:
    """The discharge that will be the SOH figure unless a later cycle qualifies."""

    cycle: int
    curve: Decimator  # Ah so far and V; no longer fed once the cycle has ended
    amps: Decimator  # Ah so far and |I| at the same points
    end_cells: np.ndarray | None  # cell voltages at the last discharge sample


def mean_discharge_current_a(totals: CycleTotals) -> float:
    return totals.discharge_ah * 3600 / totals.discharge_s if totals.discharge_s > 0 else 0.0


def rate_band(current_a: float) -> int:
    """Bands a factor 2**0.25 wide, with edges offset so that round currents (0.5 A, 1 A, 5 A)
    and their measurement noise fall inside a band rather than on an edge."""
    if not current_a > 0 or not math.isfinite(current_a):
        return -(2**31)
    return round(math.log2(current_a) * 4)


class CycleBook:
    """Totals per cycle under one numbering (the instrument's, or re-derived from direction).

    Each cycle's discharge is judged when the cycle ends (complete: it ended at the lower
    cutoff; discharge_end.py), and only complete discharges count for SOH.

    Why one candidate curve per rate band is enough: SOH is read on the last full complete
    discharge (at least FULL_CYCLE_SHARE of the largest complete one) among those at the lowest
    rate (cycle_choice.py). Within a band, that cycle is the last one that passed the share test
    against the largest seen *so far* when it ended; every cycle after the largest one is judged
    against the final largest already. So memory stays O(cycles + one curve per band of rates).
    """

    def __init__(self, curve_points: int = 500, judge_end: EndJudge | None = None) -> None:
        self.cycles: dict[int, CycleTotals] = {}
        self.candidates: dict[int, Candidate] = {}  # rate band -> its last full discharge
        self.reopened: set[int] = set()  # cycle numbers that came back after another cycle
        self._curve_points = curve_points
        self._open: int | None = None
        self._judge_end = judge_end
        self._curve = Decimator(curve_points)
        self._amps = Decimator(curve_points)
        self._end_cells: np.ndarray | None = None
        self._largest = 0.0  # of complete discharges
        self._limits: list[tuple[float, int]] = []  # voltage limits complete discharges ended at
        self._last_direction = 0  # of the last charge or discharge pair, and its cycle
        self._last_direction_cycle = 0
        self._last_pair_discharge = False

    def add(self, w: Window, ids: np.ndarray) -> None:
        """ids: the cycle number of every window sample."""
        cycle = ids[1:]
        same = ids[:-1] == cycle
        dis = w.discharge & same
        chg = w.charge & same
        change = ~same  # a pair that crosses into another cycle starts a run of the next one
        change[0] = True
        starts = np.flatnonzero(change)
        dis_ah = np.where(dis, w.ah, 0.0)  # where, not a product: inf * 0 would be NaN
        totals = [
            np.add.reduceat(values, starts)
            for values in (
                np.where(chg, w.ah, 0.0),
                dis_ah,
                np.where(chg, w.wh, 0.0),
                np.where(dis, w.wh, 0.0),
                np.where(dis, w.dt, 0.0),
            )
        ]
        pairs = np.add.reduceat(dis, starts, dtype=np.int64)
        segments = self._segment_starts(dis, chg, cycle)
        in_run = np.searchsorted(starts, segments, side="right") - 1
        segment_counts = np.bincount(in_run, minlength=len(starts))
        lowest = np.minimum.reduceat(w.voltage[1:], starts)
        hottest = None if w.temperature is None else np.fmax.reduceat(w.temperature, starts)
        prior = self._last_pair_discharge  # the pair before the window's first
        self._last_pair_discharge = bool(dis[-1])
        ends = np.append(starts[1:], len(cycle))
        for run, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            number = int(cycle[start])
            if number != self._open:
                self._switch(number)
            t = self.cycles[number]
            ah_before = t.discharge_ah
            t.charge_ah += totals[0][run]
            t.discharge_ah += totals[1][run]
            t.charge_wh += totals[2][run]
            t.discharge_wh += totals[3][run]
            t.discharge_s += totals[4][run]
            t.discharge_pairs += int(pairs[run])
            t.discharges += int(segment_counts[run])
            t.min_voltage_v = min(t.min_voltage_v, float(lowest[run]))
            if hottest is not None and not np.isnan(hottest[run]):
                t.max_temperature_c = np.fmax(t.max_temperature_c, float(hottest[run]))
            if pairs[run]:
                before = prior if start == 0 else bool(dis[start - 1])
                self._add_curve(w, start, end, dis, before, ah_before)

    def _segment_starts(self, dis: np.ndarray, chg: np.ndarray, cycle: np.ndarray) -> np.ndarray:
        """Pairs that start a discharge segment: a discharge pair whose last charge or discharge
        pair before it, rests aside, was not a discharge of the same cycle (the reference
        integrator's rule)."""
        direction = chg.view(np.int8) - dis.view(np.int8)
        moving = np.flatnonzero(direction)
        if not moving.size:
            return moving
        dirs, cycles = direction[moving], cycle[moving]
        before = np.concatenate(([self._last_direction], dirs[:-1]))
        before_cycle = np.concatenate(([self._last_direction_cycle], cycles[:-1]))
        first = (dirs == -1) & ~((before == -1) & (before_cycle == cycles))
        self._last_direction, self._last_direction_cycle = int(dirs[-1]), int(cycles[-1])
        return moving[first]

    def _add_curve(
        self, w: Window, start: int, end: int, dis: np.ndarray, prior: bool, ah_before: float
    ) -> None:
        """Feed the curve a point where each discharge pair of the run ends, and one where each
        discharge begins (the sample before its first pair); `prior`: whether the pair before
        the run's first was a discharge."""
        ends = np.flatnonzero(dis[start:end])
        pair_ah = w.ah[start:end][ends]
        # Only discharge pairs are summed: the zeros between them change no bit of the sums.
        after = ah_before + np.cumsum(pair_ah)
        begins = np.empty(len(ends), bool)
        begins[0] = ends[0] > 0 or not prior
        np.not_equal(ends[1:] - ends[:-1], 1, out=begins[1:])
        at = np.flatnonzero(begins)  # in ends: the first pair of each discharge
        firsts = ends[at] + start  # window index of the sample before that pair
        last = ends + (start + 1)  # window index of the sample ending each pair
        ah = np.insert(after, at, after[at] - pair_ah[at])
        volts = np.insert(w.voltage[last], at, w.voltage[firsts])
        amps = np.abs(np.insert(w.current[last], at, w.current[firsts]))
        self._curve.add(ah, volts)
        self._amps.add(ah, amps)
        if w.cells is not None:
            self._end_cells = w.cells[last[-1] - 1].copy()

    def _switch(self, number: int) -> None:
        self._close()
        if number in self.cycles:
            self.reopened.add(number)
        else:
            self.cycles[number] = CycleTotals()
        self._open = number
        self._curve = Decimator(self._curve_points)
        self._amps = Decimator(self._curve_points)
        self._end_cells = None

    def _close(self, at_eof: bool = False) -> None:
        if self._open is None:
            return
        totals = self.cycles[self._open]
        capacity = totals.discharge_ah
        if not capacity > 0:
            return
        totals.end = self._judged(totals, at_eof)
        if totals.end is not None and not totals.end.complete:
            return
        self._largest = max(self._largest, capacity)
        if capacity >= FULL_CYCLE_SHARE * self._largest:
            band = rate_band(mean_discharge_current_a(totals))
            self.candidates[band] = Candidate(self._open, self._curve, self._amps, self._end_cells)

    def _judged(self, totals: CycleTotals, at_eof: bool) -> DischargeEnd | None:
        """How the open cycle's discharge ended; None when no judge was given (every discharge
        then counts, as in the reference integrator)."""
        if self._judge_end is None:
            return None
        ah, volts = self._curve.points()
        _, amps = self._amps.points()
        end = self._judge_end(
            ah,
            volts,
            amps,
            totals.discharge_s,
            totals.discharge_pairs,
            at_eof,
            tuple(self._limits),
        )
        known = any(abs(v - end.end_voltage_v) <= 1e-9 for v, _ in self._limits)
        # A handful of limits at most (one per schedule step end); keep the first cycle seen.
        if end.complete and not known and len(self._limits) < 16:
            self._limits.append((end.end_voltage_v, self._open or 0))
        return end

    def curve_of(self, number: int) -> Candidate | None:
        """The kept discharge curve of cycle `number`, if it was the last full one of its band
        and its number did not recur later in the file."""
        if number in self.reopened:
            return None
        return next((c for c in self.candidates.values() if c.cycle == number), None)

    def finish(self) -> None:
        # The file's last discharge ran to its end when its last sample pair was a discharge.
        self._close(at_eof=self._last_pair_discharge)
        self._open = None

    def relabelled(self, shift: int) -> CycleBook:
        """A copy whose cycle numbers are all `shift` higher. Totals are copied, the curves
        shared: a Decimator's arrays are replaced on add, never written in place."""
        book = copy.copy(self)
        book.cycles = {number + shift: copy.copy(totals) for number, totals in self.cycles.items()}
        book.reopened = {number + shift for number in self.reopened}
        book.candidates = {
            band: dataclasses.replace(c, cycle=c.cycle + shift)
            for band, c in self.candidates.items()
        }
        book._curve = copy.copy(self._curve)
        book._amps = copy.copy(self._amps)
        book._limits = list(self._limits)
        if book._open is not None:
            book._open += shift
        book._last_direction_cycle += shift
        return book
