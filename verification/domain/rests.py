"""Self-discharge from long rests: the slope of the pack voltage once relaxation is over.

A rest is a run of samples at rest current (|I| at or below the threshold) lasting at least
MIN_REST_S that follows a charge: after a discharge the voltage climbs back for hours, which no
fit window removes and which would read as a negative self-discharge. The first RELAXATION_S are
left out (the voltage still relaxes from the charge), and a least-squares line is fitted to the
rest. The longest such fit is reported, as
the mV the pack voltage *loses* per day: a pack that holds its charge reads about zero, and a
positive figure is a loss. It is pack voltage, so no cells-in-series count is needed.
"""

from __future__ import annotations

import numpy as np

from .cycles import Window

MIN_REST_S = 6 * 3600.0
RELAXATION_S = 2 * 3600.0
_SUMS = 5  # n, x, y, xx, xy with x = s after relaxation, y = V above the rest's first voltage


class SelfDischarge:
    def __init__(self) -> None:
        # The rest going on at the end of the last batch: start, first V, sums, last time, and
        # whether a charge came before it.
        self._open: tuple[float, float, np.ndarray, float, bool] | None = None
        self._moving = 0  # direction of the last sample that was not at rest
        self.best: tuple[float, float] | None = None  # (fitted span s, slope V/s)

    def add(self, w: Window) -> None:
        rest = w.rest[1:]
        if self._open is not None and not rest[0]:
            self.finish()
        direction = w.direction
        moving = w.moving
        carried = self._moving
        if moving.size:
            self._moving = int(direction[moving[-1]])
        where = np.flatnonzero(rest)  # the rest samples: all that follows works on them alone
        if not where.size:
            return
        time, volts = w.time[1:][where], w.voltage[1:][where]
        continuing = self._open is not None  # then rest[0] is a rest sample, of the open rest
        first = np.empty(len(where), bool)  # the first sample of each rest
        first[0] = not continuing
        np.greater(where[1:] - where[:-1], 1, out=first[1:])
        label = np.cumsum(first) - (0 if continuing else 1)  # 0 = the rest going on, if any
        begins = np.flatnonzero(first)
        starts = where[begins]
        start_t, start_v = time[begins], volts[begins]
        # The direction of the last moving sample ahead of each rest: window index s is the
        # sample just ahead of rest[s] (the window leads rest[] by one).
        ahead = np.searchsorted(moving, starts, side="right") - 1
        if moving.size:
            before = np.where(ahead >= 0, direction[moving[np.maximum(ahead, 0)]], carried)
        else:
            before = np.full(len(starts), carried)
        after_charge = before == 1
        groups = begins
        if continuing:
            start_t = np.concatenate(([self._open[0]], start_t))
            start_v = np.concatenate(([self._open[1]], start_v))
            after_charge = np.concatenate(([self._open[4]], after_charge))
            groups = np.concatenate(([0], begins))
        labels = len(start_t)
        lab = label
        last_t = np.maximum.reduceat(time, groups)  # time never falls: a rest's last sample
        x = time - (start_t[lab] + RELAXATION_S)
        fit = x >= 0
        lab, x = lab[fit], x[fit]
        y = volts[fit] - start_v[lab]
        weights = (np.ones_like(x), x, y, x * x, x * y)
        sums = np.array([np.bincount(lab, weights=v, minlength=labels) for v in weights], float)
        if continuing:
            sums[:, 0] += self._open[2]
        closed = labels - 1 if rest[-1] else labels
        self._close(start_t[:closed], sums[:, :closed], last_t[:closed], after_charge[:closed])
        self._open = None
        if rest[-1]:
            self._open = (
                float(start_t[-1]),
                float(start_v[-1]),
                sums[:, -1],
                float(last_t[-1]),
                bool(after_charge[-1]),
            )

    def _close(
        self, start: np.ndarray, sums: np.ndarray, last: np.ndarray, after_charge: np.ndarray
    ) -> None:
        """Rests that ended: keep the longest fit of those long enough."""
        n, sx, sy, sxx, sxy = sums
        denominator = n * sxx - sx * sx
        ok = after_charge & (last - start >= MIN_REST_S) & (n >= 2) & (denominator > 0)
        if not ok.any():
            return
        span = np.where(ok, last - start - RELAXATION_S, -np.inf)
        best = int(np.argmax(span))
        slope = (n[best] * sxy[best] - sx[best] * sy[best]) / denominator[best]
        if self.best is None or span[best] > self.best[0]:
            self.best = (float(span[best]), float(slope))

    def finish(self) -> None:
        if self._open is not None:
            start, _, sums, last, after_charge = self._open
            self._close(
                np.array([start]), sums[:, None], np.array([last]), np.array([after_charge])
            )
            self._open = None

    def mv_per_day(self) -> float | None:
        return None if self.best is None else -self.best[1] * 1000 * 86400
