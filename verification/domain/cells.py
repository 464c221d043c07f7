"""Cell-level figures: voltage spread and the weakest cell.

The weakest cell is the lowest at the end of the chosen discharge: in a series string every cell
passes the same charge, and the one that sags first is the one that limits the pack. For the same
reason its SOH estimate is the pack's measured capacity SOH; the cell delivered exactly that
charge, so this is a lower bound for it (a cell that stopped above its own limit holds more).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

_CELL_KEY = re.compile(r"cell_(\d+)_v")


def cell_keys(batch: Mapping[str, np.ndarray]) -> list[str]:
    """cell_1_v ... cell_n_v in cell order."""
    numbered = [(int(m.group(1)), key) for key in batch if (m := _CELL_KEY.fullmatch(key))]
    return [key for _, key in sorted(numbered)]


def max_spread_v(cells: np.ndarray) -> float | None:
    """The largest max - min over the rows of a (rows, cells) array, ignoring missing cells."""
    if cells.size == 0:
        return None
    high = np.fmax.reduce(cells, axis=1)
    low = np.fmin.reduce(cells, axis=1)
    spread = high - low
    spread = spread[~np.isnan(spread)]
    return float(spread.max()) if spread.size else None


def spread_and_weakest(
    volts: np.ndarray | tuple[float, ...] | None, soh_pct: float | None
) -> tuple[float | None, dict | None]:
    """(max - min in mV, {index (1-based), voltage_v, soh_pct}) for one set of cell voltages."""
    if volts is None:
        return None, None
    values = np.asarray(volts, dtype=np.float64)
    present = np.flatnonzero(~np.isnan(values))
    if present.size == 0:
        return None, None
    lowest = int(present[np.argmin(values[present])])
    spread = float(values[present].max() - values[lowest]) * 1000
    weakest = {"index": lowest + 1, "voltage_v": float(values[lowest]), "soh_pct": soh_pct}
    return spread, weakest
