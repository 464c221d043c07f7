"""A pack model's ratings are the denominator of every SOH measured against it, so they must
hang together before anyone can propose them: each above zero, nominal volts x amp-hours equal
to the rated energy, and the volts per cell in series plausible for the chemistry."""

import math
from dataclasses import dataclass
from decimal import Decimal

# Nominal V x Ah and the rated kWh of one model agree to this share.
ENERGY_AGREEMENT = Decimal("0.01")

# Nominal volts per cell by chemistry, the span makers publish (LFP 3.2 V, NMC 3.6-3.7 V, ...),
# with room for rounding in a datasheet. "unknown" has no span: nothing to check against.
CELL_VOLTAGE_SPAN_V = {
    "LFP": (Decimal("3.0"), Decimal("3.4")),
    "NMC": (Decimal("3.5"), Decimal("3.85")),
    "NCA": (Decimal("3.5"), Decimal("3.8")),
    "LMO": (Decimal("3.6"), Decimal("3.95")),
    "LTO": (Decimal("2.2"), Decimal("2.5")),
}

LABELS = {
    "nominal_voltage_v": "nominal voltage",
    "nominal_capacity_ah": "nominal capacity",
    "nominal_energy_kwh": "nominal energy",
    "baseline_resistance_mohm": "beginning-of-life resistance",
}


@dataclass(frozen=True)
class RatingProblem:
    field: str
    message: str


def rating_problems(
    *,
    chemistry: str | None,
    nominal_voltage_v: Decimal | None,
    nominal_capacity_ah: Decimal | None,
    nominal_energy_kwh: Decimal | None,
    cells_series: int | None,
    cells_parallel: int | None,
    baseline_resistance_mohm: Decimal | None = None,
) -> list[RatingProblem]:
    """What is wrong with a proposed model's ratings, field by field (None: not given)."""
    given = {
        "nominal_voltage_v": nominal_voltage_v,
        "nominal_capacity_ah": nominal_capacity_ah,
        "nominal_energy_kwh": nominal_energy_kwh,
        # Resistance measured against a baseline of zero would be infinitely worn.
        "baseline_resistance_mohm": baseline_resistance_mohm,
    }
    problems = [
        RatingProblem(name, f"The {LABELS[name]} must be above zero.")
        for name, value in given.items()
        if value is not None and value <= 0
    ]
    for name, cells in (("cells_series", cells_series), ("cells_parallel", cells_parallel)):
        if cells is not None and cells < 1:
            problems.append(
                RatingProblem(name, "A pack has at least one cell in series and in parallel.")
            )
    if problems:
        return problems
    volts, amp_hours, kwh = nominal_voltage_v, nominal_capacity_ah, nominal_energy_kwh
    if volts and amp_hours and kwh:
        rated = volts * amp_hours / 1000
        if abs(rated - kwh) > kwh * ENERGY_AGREEMENT:
            problems.append(
                RatingProblem(
                    "nominal_energy_kwh",
                    f"{volts} V x {amp_hours} Ah is {rated:.3f} kWh, not {kwh} kWh: the three "
                    "ratings must agree within 1 %.",
                )
            )
    span = CELL_VOLTAGE_SPAN_V.get(chemistry or "")
    if span and volts and cells_series:
        per_cell = volts / cells_series
        low, high = span
        if not low <= per_cell <= high:
            fitting = _fitting_cell_counts(volts, span)
            hint = f" {fitting} cells in series would fit." if fitting else ""
            problems.append(
                RatingProblem(
                    "cells_series",
                    f"{volts} V over {cells_series} cells in series is {per_cell:.2f} V per "
                    f"cell; {chemistry} cells are {low}-{high} V nominal.{hint}",
                )
            )
    return problems


def _fitting_cell_counts(volts: Decimal, span: tuple[Decimal, Decimal]) -> str:
    low, high = span
    first, last = math.ceil(volts / high), math.floor(volts / low)
    if first > last:
        return ""
    return str(first) if first == last else f"{first}-{last}"
