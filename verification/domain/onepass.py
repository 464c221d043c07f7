"""The single pass over a TestData's batches that feeds every figure.

Each batch becomes a `Window` (the batch preceded by the sample before it) and goes, vectorised,
to the cycle books (instrument numbering and numbering re-derived from the current direction;
which one is used is decided at the end), the DCIR finder, the rest fitter and the cell spread.
"""

from __future__ import annotations

import numpy as np

from .cells import cell_keys, max_spread_v
from .counter import CounterCheck
from .cycles import CycleBook, EndJudge, Window
from .dcir import DcirFinder
from .errors import TestDataError
from .rests import SelfDischarge
from .testdata import Batch

SLICE_ROWS = 65_536


class OnePass:
    """Feed it every batch, then call finish(); what it holds grows with cycles, not rows."""

    def __init__(
        self,
        durations: tuple[float, ...],
        rest_threshold_a: float,
        curve_points: int,
        judge_end: EndJudge | None = None,
    ) -> None:
        self.rest_threshold_a = rest_threshold_a
        self.instrument = CycleBook(curve_points, judge_end)
        # The re-derived numbering's book, made only once it differs from the instrument's by
        # more than a constant: until then it would hold the same totals, so copying the
        # instrument book at that moment saves half the work on well-numbered files.
        self.derived: CycleBook | None = None
        self._shift: int | None = None  # derived number - instrument number while in step
        self.dcir = DcirFinder(durations)
        self.rests = SelfDischarge()
        self.count = 0
        self.peak_a = 0.0
        self.peak_discharge_a = 0.0
        # Terminal voltage while current flows: what the pack-fit check compares with the pack's
        # window (an open-circuit glitch to 0 V is not the cell's working range).
        self.min_loaded_v = np.inf
        self.max_loaded_v = -np.inf
        self.counter = CounterCheck()
        self.saw_negative = False
        self.max_spread_v: float | None = None
        self.cell_keys: list[str] | None = None
        self._carry: tuple | None = None  # time, current, voltage, step, cycle of the last sample
        self._last_direction = 0  # of the last sample that was not at rest
        self._derived_id = 1

    def add(self, batch: Batch) -> None:
        # Temporaries are a few dozen arrays of the batch's length: slices keep them small.
        size = len(batch["time_s"])
        for start in range(0, size, SLICE_ROWS):
            self._add({key: value[start : start + SLICE_ROWS] for key, value in batch.items()})

    def _add(self, batch: Batch) -> None:
        time = np.asarray(batch["time_s"], dtype=np.float64)
        current = np.asarray(batch["current_a"], dtype=np.float64)
        voltage = np.asarray(batch["voltage_v"], dtype=np.float64)
        step = np.asarray(batch["step"], dtype=np.int64)
        cycle = np.asarray(batch["cycle"], dtype=np.int64)
        if self._carry is None:
            self._carry = (time[0], current[0], voltage[0], step[0], cycle[0])
            self.cell_keys = cell_keys(batch)
        own = (time, current, voltage, step, cycle)
        columns = [np.concatenate(([c], a)) for c, a in zip(self._carry, own, strict=True)]
        temperature = batch.get("temperature_c")
        if temperature is not None:
            temperature = np.asarray(temperature, dtype=np.float64)
        cells = (
            np.column_stack([batch[k] for k in self.cell_keys]).astype(np.float64)
            if self.cell_keys
            else None
        )
        w = Window(*columns[:4], temperature, cells, self.rest_threshold_a)
        # fmin skips NaN as the comparison does; the index is looked for only on an error.
        if w.dt.size and np.fmin.reduce(w.dt) < 0:
            at = int(np.flatnonzero(w.dt < 0)[0])
            raise TestDataError(
                f"sample {self.count + at + 1}: time goes backwards "
                f"({w.time[at + 1]} after {w.time[at]})"
            )
        derived = self._derive_cycles(w)
        highest, lowest = float(current.max()), float(current.min())
        # max |I| without the temporary of np.abs; NaN is skipped by max() as before.
        self.peak_a = max(self.peak_a, max(highest, -lowest))
        self.peak_discharge_a = max(self.peak_discharge_a, -lowest)
        flowing = ~w.rest[1:]  # |I| above the threshold
        if flowing.any():
            low = float(np.min(voltage, where=flowing, initial=np.inf))
            high = float(np.max(voltage, where=flowing, initial=-np.inf))
            self.min_loaded_v = min(self.min_loaded_v, low)
            self.max_loaded_v = max(self.max_loaded_v, high)
        counter = batch.get("capacity_counter_ah")
        if counter is not None:
            self.counter.add(w, np.asarray(counter, dtype=np.float64))
        if not self.saw_negative:
            self.saw_negative = bool((w.direction[1:] == -1).any())
        if self.derived is None:
            shift = derived - columns[4]
            if self._shift is None:
                self._shift = int(shift[0])
            if np.any(shift != self._shift):
                self.derived = self.instrument.relabelled(self._shift)
        if self.derived is not None:
            self.derived.add(w, derived)
        self.instrument.add(w, columns[4])
        self.dcir.add(w, columns[4], derived, self.peak_a)
        self.rests.add(w)
        if cells is not None:
            spread = max_spread_v(cells)
            if spread is not None:
                self.max_spread_v = max(spread, self.max_spread_v or 0.0)
        self.count += len(time)
        self._carry = tuple(column[-1] for column in columns)

    def _derive_cycles(self, w: Window) -> np.ndarray:
        """Cycle numbers for the window: a new cycle at each charge sample whose last non-rest
        sample before it was a discharge."""
        moving = w.moving
        if moving.size and moving[0] == 0:
            moving = moving[1:]  # the window's first sample is the last one already numbered
        marks = np.zeros(len(w.direction), dtype=np.int64)
        marks[0] = self._derived_id
        if moving.size:
            dirs = w.direction[moving]
            before = np.concatenate(([self._last_direction], dirs[:-1]))
            marks[moving[(dirs == 1) & (before == -1)]] = 1
            self._last_direction = int(dirs[-1])
        window = np.cumsum(marks)
        self._derived_id = int(window[-1])
        return window

    def finish(self) -> None:
        if self.count < 2:
            raise TestDataError(
                f"at least two samples are needed to integrate capacity; found {self.count}"
            )
        self.instrument.finish()
        if self.derived is None:
            self.derived = self.instrument.relabelled(self._shift or 0)
        else:
            self.derived.finish()
        self.dcir.finish()
        self.rests.finish()
