"""DC internal resistance from current steps out of rest: R = dV / dI after a stated pulse length.

A step qualifies when the current leaves rest (|I| at or below the rest threshold) and jumps by at
least MIN_STEP_SHARE of the file's largest |I|: smaller changes, like the end of a CV tail, give
nonsense resistances (PITFALLS.md, DCIR). dV and dI run from the last rest sample before the step
to the moment `duration` after the step's first sample, interpolated linearly between the two
samples around it. R grows with the pulse length, so every value carries its duration.

A duration is skipped for a step that changes (step number or direction) before it elapses, and
where sampling is too sparse to say anything about that moment: more than `duration` seconds
between the rest sample and the step's first sample, or between the two samples around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cycles import Window

MIN_STEP_SHARE = 0.04
SHORT = "short"
SPARSE = "sparse"


@dataclass(frozen=True)
class Dcir:
    cycle: int  # instrument numbering
    derived_cycle: int  # numbering re-derived from current direction
    step: int
    time_s: float  # the step's first sample
    onset_step_a: float  # current jump at the step, for the MIN_STEP_SHARE test
    current_step_a: float  # dI used for R
    duration_s: float
    resistance_mohm: float


@dataclass
class _Step:
    cycle: int
    derived_cycle: int
    step: int
    time_s: float
    rest_current_a: float
    rest_voltage_v: float
    onset_step_a: float
    durations: list[float] = field(default_factory=list)  # still to be measured


class DcirFinder:
    def __init__(self, durations_s: tuple[float, ...]) -> None:
        self.durations = tuple(durations_s)
        self.found: list[Dcir] = []
        self.skipped: list[tuple[str, float, float]] = []  # (reason, duration, onset step)
        self._open: _Step | None = None  # a step still running at the end of the last batch

    def add(self, w: Window, cycles: np.ndarray, derived: np.ndarray, peak_a: float) -> None:
        """peak_a: the largest |I| so far; the file's can only be larger, so a step too small
        now stays too small."""
        d = w.direction
        onsets = np.flatnonzero(w.rest[:-1] & ~w.rest[1:]) + 1
        jumps = w.current[onsets] - w.current[onsets - 1]
        onsets = onsets[np.abs(jumps) >= MIN_STEP_SHARE * peak_a]
        steps: list[tuple[_Step, int]] = []
        if self._open is not None:
            steps.append((self._open, 0))
            self._open = None
        for k in onsets.tolist():
            step = _Step(
                int(cycles[k]),
                int(derived[k]),
                int(w.step[k]),
                float(w.time[k]),
                float(w.current[k - 1]),
                float(w.voltage[k - 1]),
                float(w.current[k] - w.current[k - 1]),
            )
            gap = w.time[k] - w.time[k - 1]
            for duration in self.durations:
                if gap > duration:
                    self.skipped.append((SPARSE, duration, step.onset_step_a))
                else:
                    step.durations.append(duration)
            steps.append((step, k))
        if not steps:
            return
        # Where each step ends: the first sample after which the step number or the direction
        # changes (the window's last sample if none does).
        changes = np.flatnonzero((w.step[1:] != w.step[:-1]) | (d[1:] != d[:-1]))
        at = np.searchsorted(changes, [k for _, k in steps], side="left")
        ends = np.append(changes, len(d) - 1)[at]
        for (step, k), end in zip(steps, ends.tolist(), strict=True):
            self._measure(w, step, k, end)

    def _measure(self, w: Window, step: _Step, k: int, end: int) -> None:
        waiting = []
        for duration in step.durations:
            target = step.time_s + duration
            if w.time[end] < target:
                if end == len(w.time) - 1:
                    waiting.append(duration)  # the step goes on into the next batch
                else:
                    self.skipped.append((SHORT, duration, step.onset_step_a))
                continue
            j = max(int(np.searchsorted(w.time, target, side="left")), k + 1)
            spacing = w.time[j] - w.time[j - 1]
            if spacing > duration or spacing <= 0:
                self.skipped.append((SPARSE, duration, step.onset_step_a))
                continue
            share = (target - w.time[j - 1]) / spacing
            volts = w.voltage[j - 1] + share * (w.voltage[j] - w.voltage[j - 1])
            amps = w.current[j - 1] + share * (w.current[j] - w.current[j - 1])
            d_i = amps - step.rest_current_a
            if d_i == 0:
                continue
            r_mohm = (volts - step.rest_voltage_v) / d_i * 1000
            self.found.append(
                Dcir(
                    step.cycle,
                    step.derived_cycle,
                    step.step,
                    step.time_s,
                    step.onset_step_a,
                    float(d_i),
                    duration,
                    float(r_mohm),
                )
            )
        if waiting:
            step.durations = waiting
            self._open = step

    def finish(self) -> None:
        if self._open is not None:
            for duration in self._open.durations:
                self.skipped.append((SHORT, duration, self._open.onset_step_a))
            self._open = None

    def results(self, peak_a: float) -> tuple[list[Dcir], list[str]]:
        """The qualifying values and, once per reason, what was skipped."""
        floor = MIN_STEP_SHARE * peak_a
        found = [r for r in self.found if abs(r.onset_step_a) >= floor]
        warnings = []
        for reason, text in (
            (SHORT, "the step ended before the pulse length"),
            (SPARSE, "samples around the step are further apart than the pulse length"),
        ):
            counts = {}
            for why, duration, onset in self.skipped:
                if why == reason and abs(onset) >= floor:
                    counts[duration] = counts.get(duration, 0) + 1
            if counts:
                listed = ", ".join(f"{d:g} s for {n} step(s)" for d, n in sorted(counts.items()))
                warnings.append(f"DCIR not measured where {text}: {listed}")
        return found, warnings
