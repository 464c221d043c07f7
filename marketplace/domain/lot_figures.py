"""A lot's measured figures across its packs, for its report card and SOH chart.

Plain numbers in, plain values out. A figure no pack measured is None, never zero: the page
says it is absent and why.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# Bin widths (SOH points) tried in turn, the first giving at most MAX_BINS bins.
BIN_WIDTHS = (1.0, 2.0, 5.0, 10.0, 20.0)
MAX_BINS = 12


@dataclass(frozen=True)
class Spread:
    """Median, lowest and highest of the values that exist, and how many there were."""

    count: int
    median: float | None
    low: float | None
    high: float | None


def spread(values: Sequence[float | None]) -> Spread:
    present = [float(v) for v in values if v is not None]
    if not present:
        return Spread(0, None, None, None)
    return Spread(len(present), statistics.median(present), min(present), max(present))


@dataclass(frozen=True)
class Bin:
    low: float  # inclusive
    high: float  # exclusive, except the last bin, which holds its upper edge
    count: int

    @property
    def label(self) -> str:
        return f"{self.low:g} to {self.high:g} %"


def soh_bins(values: Sequence[float]) -> list[Bin]:
    """A histogram of SOH values: equal bins on whole-number edges, as few widths as keep it
    at most MAX_BINS bins; empty bins inside the range stay (a gap is information)."""
    if not values:
        return []
    low, high = min(values), max(values)
    for width in BIN_WIDTHS:
        start = math.floor(low / width) * width
        bins = max(1, math.floor((high - start) / width) + 1)
        if bins <= MAX_BINS:
            break
    counts = [0] * bins
    for value in values:
        counts[min(int((value - start) // width), bins - 1)] += 1
    return [Bin(start + i * width, start + (i + 1) * width, n) for i, n in enumerate(counts)]
