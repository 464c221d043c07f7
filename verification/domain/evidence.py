"""Is this measurement evidence for this pack at all? Checks of the file against the pack model.

A file can be read correctly and still not be a test of the pack it was uploaded for: a
single-cell test offered for a 16-cell pack, a bigger pack's test, a current whose unit is off
by 1000. Each check compares what the file shows with what the pack model says, with margins
wide enough for any honest test of that pack:
- the voltage window while current flows lies within cells in series x the chemistry's cell
  window, widened by WINDOW_MARGIN (a single cell reads 2.7-4.2 V, a 16-cell pack 40-67 V);
- the largest discharge is at most CAPACITY_MAX_SHARE of nominal (no used pack delivers more);
- the mean discharge current of the capacity test is at most MEAN_C_RATE_MAX, and the peak
  current at most PEAK_C_RATE_MAX, times nominal Ah (above that no pack cell survives a test).
A cell- or module-level test is declared by the uploader: its voltage is checked against one
cell (a cell test) or against at most the pack (a module), and it never confirms a pack claim.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chemistry import cell_limits
from .figures import Figures

WINDOW_MARGIN = 0.10
CAPACITY_MAX_SHARE = 1.10
MEAN_C_RATE_MAX = 5.0
PEAK_C_RATE_MAX = 20.0
TEST_LEVELS = ("pack", "module", "cell")


@dataclass(frozen=True)
class PackSpec:
    chemistry: str
    cells_series: int
    cells_parallel: int
    nominal_capacity_ah: float
    nominal_voltage_v: float


@dataclass(frozen=True)
class PackFit:
    fits: bool
    reasons: tuple[str, ...]


def _v(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def pack_fit(figures: Figures, spec: PackSpec, *, test_level: str = "pack") -> PackFit:
    if test_level not in TEST_LEVELS:
        raise ValueError(f"test_level must be one of {', '.join(TEST_LEVELS)}")
    reasons = []
    window = _window_reason(figures, spec, test_level)
    if window:
        reasons.append(window)
    if test_level == "pack":
        reasons.extend(_capacity_reasons(figures, spec))
    return PackFit(not reasons, tuple(reasons))


def _window_reason(figures: Figures, spec: PackSpec, test_level: str) -> str | None:
    if figures.voltage_range_v is None:
        return None
    low, high = figures.voltage_range_v
    cell = cell_limits(spec.chemistry)
    cell_low, cell_high = cell.window_v
    series = 1 if test_level == "cell" else spec.cells_series
    pack_low = cell_low * series * (1 - WINDOW_MARGIN)
    pack_high = cell_high * series * (1 + WINDOW_MARGIN)
    measured = f"{_v(low)}-{_v(high)} V"
    if test_level == "module":
        if high > pack_high:
            return (
                f"the voltage reaches {_v(high)} V, above the whole pack's "
                f"{_v(cell_high * spec.cells_series)} V: not a module of this pack"
            )
        return None
    expected = (
        f"a {spec.cells_series}-cell pack's {_v(cell_low * series)}-{_v(cell_high * series)} V"
        if test_level == "pack"
        else f"one {cell.chemistry} cell's {_v(cell_low)}-{_v(cell_high)} V"
    )
    if low >= pack_low and high <= pack_high:
        return None
    if test_level == "pack" and high < pack_low:
        cells = max(1, round(high / cell_high))
        looks = "a single-cell test" if cells == 1 else f"a test of about {cells} cells in series"
        return f"this looks like {looks}: {measured} against {expected}"
    return f"the voltage while current flows, {measured}, does not fit {expected}"


def _capacity_reasons(figures: Figures, spec: PackSpec) -> list[str]:
    nominal = spec.nominal_capacity_ah
    reasons = []
    largest = max((row.discharge_capacity_ah for row in figures.cycles), default=0.0)
    if largest > CAPACITY_MAX_SHARE * nominal:
        reasons.append(
            f"a discharge of {largest:.4g} Ah is {largest / nominal:.0%} of the pack model's "
            f"nominal {nominal:.4g} Ah: no used pack delivers more than "
            f"{CAPACITY_MAX_SHARE:.0%}; this is another pack's test or a column's unit is wrong"
        )
    row = next((r for r in figures.cycles if r.cycle == figures.cycle_used), None)
    mean = None if row is None else row.mean_discharge_current_a
    if mean is not None and mean > MEAN_C_RATE_MAX * nominal:
        reasons.append(
            f"the capacity discharge ran at {mean:.4g} A on average, {mean / nominal:.3g}C for "
            f"a {nominal:.4g} Ah pack: above {MEAN_C_RATE_MAX:g}C no pack's cells survive a test"
        )
    peak = figures.peak_discharge_current_a
    if peak is not None and peak > PEAK_C_RATE_MAX * nominal:
        reasons.append(
            f"a discharge current of {peak:.4g} A is {peak / nominal:.3g}C for a {nominal:.4g} Ah "
            f"pack, above the {PEAK_C_RATE_MAX:g}C any pack's cells survive"
        )
    return reasons
