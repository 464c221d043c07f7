"""Cell voltage limits per chemistry: the window a cell works in and where a discharge ends.

`window_v` is the range a healthy cell's terminal voltage stays in on a cycler (lower cutoff to
upper charge limit); `cutoff_band_v` is the range of lower cutoffs that makers and test schedules
use. A discharge whose last voltage per cell is at or below the band's top ended at the lower
cutoff; one that stopped above it stopped early (a manual stop, a time limit, the end of a file).

Sources are the usual datasheet figures: LFP 2.0-2.5 V cutoff, 3.6-3.65 V charge; NMC / NCA
2.5-3.0 V cutoff (some second-life schedules stop at 3.2 V), 4.2 V charge (4.35 V for
high-voltage cells); LMO 2.5-3.0 V cutoff, 4.2-4.3 V charge; LTO 1.5-1.8 V cutoff, 2.7-2.8 V charge.
"""

from __future__ import annotations

from dataclasses import dataclass

CHEMISTRIES = ("LFP", "NMC", "NCA", "LMO", "LTO", "unknown")


@dataclass(frozen=True)
class CellLimits:
    chemistry: str
    window_v: tuple[float, float]  # (lowest, highest) terminal voltage per cell
    cutoff_band_v: tuple[float, float]  # lower cutoffs in use, per cell

    @property
    def cutoff_ceiling_v(self) -> float:
        return self.cutoff_band_v[1]


CELL_LIMITS = {
    "LFP": CellLimits("LFP", (2.0, 3.65), (2.0, 2.8)),
    "NMC": CellLimits("NMC", (2.5, 4.35), (2.5, 3.2)),
    "NCA": CellLimits("NCA", (2.5, 4.35), (2.5, 3.2)),
    "LMO": CellLimits("LMO", (2.5, 4.3), (2.5, 3.2)),
    "LTO": CellLimits("LTO", (1.5, 2.8), (1.5, 2.0)),
    # Unknown: the widest lithium window (LTO's floor to high-voltage NMC's top). Its cutoff
    # ceiling is the one every chemistry but LTO agrees is below its plateau (2.8 V): taking
    # NMC's 3.2 V would pass an LFP discharge stopped on its 3.2-3.3 V plateau as complete.
    "unknown": CellLimits("unknown", (1.5, 4.35), (1.5, 2.8)),
}


def cell_limits(chemistry: str | None) -> CellLimits:
    """The limits for a chemistry name (any case); ValueError for a name not in CHEMISTRIES."""
    if chemistry is None:
        return CELL_LIMITS["unknown"]
    key = chemistry.strip()
    key = "unknown" if key.lower() == "unknown" else key.upper()
    if key not in CELL_LIMITS:
        raise ValueError(f"chemistry must be one of {', '.join(CHEMISTRIES)}; got {chemistry!r}")
    return CELL_LIMITS[key]
