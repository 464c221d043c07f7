"""Figures rounded to what they mean, with their units, for the auditors' pages.

A measured SOH is good to a tenth of a point, a capacity to three significant figures, a
resistance to a tenth of a milliohm; more digits (4.544013222808182) only pretend precision.
"""

import math
from decimal import Decimal

MISSING = "—"

Number = float | int | Decimal | None


def _value(value: Number) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def significant(value: Number, digits: int = 3) -> str:
    """value to `digits` significant figures, in plain notation (123, 84.0, 4.54, 0.0123)."""
    number = _value(value)
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(number)))
    decimals = max(digits - 1 - magnitude, 0)
    rounded = round(number, decimals)
    # Rounding may carry into a new digit (99.96 -> 100.0): recount the decimals.
    if rounded != 0 and math.floor(math.log10(abs(rounded))) > magnitude:
        decimals = max(decimals - 1, 0)
    if decimals == 0:
        return str(int(round(number, digits - 1 - magnitude)))
    return f"{rounded:.{decimals}f}"


def soh_text(value: Number) -> str:
    number = _value(value)
    return MISSING if number is None else f"{number:.1f} %"


def points_text(value: Number) -> str:
    """A signed difference in SOH points (measured - claimed)."""
    number = _value(value)
    if number is None:
        return MISSING
    # A difference that rounds to nothing is no difference, not "-0.0".
    return f"{round(number, 1) or 0.0:+.1f} points"


def capacity_text(value: Number) -> str:
    number = _value(value)
    return MISSING if number is None else f"{significant(number)} Ah"


def resistance_text(value: Number) -> str:
    number = _value(value)
    return MISSING if number is None else f"{number:.1f} mΩ"


def ratio_text(value: Number) -> str:
    number = _value(value)
    return MISSING if number is None else f"{number:.2f}\u00d7"
