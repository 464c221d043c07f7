"""Header matching for vendor tables: which column is time, current, voltage... and in what unit.

A rule lists the normalised names a quantity goes by (see `_headers.name_and_unit`) and, for each
unit written in brackets, the unit recorded in TestData.units and the factor to the canonical
unit. An unknown unit is an error rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TestDataError
from ._headers import name_and_unit

Units = dict[str, tuple[str, float]]  # unit as written (lowercase) -> (label, factor)

SECONDS: Units = {
    "": ("s", 1.0),
    "s": ("s", 1.0),
    "sec": ("s", 1.0),
    "min": ("min", 60.0),
    "h": ("h", 3600.0),
    "hr": ("h", 3600.0),
}
AMPS: Units = {"": ("A", 1.0), "a": ("A", 1.0), "ma": ("mA", 1e-3)}
VOLTS: Units = {"": ("V", 1.0), "v": ("V", 1.0), "mv": ("mV", 1e-3)}
CELSIUS: Units = {"": ("C", 1.0), "c": ("C", 1.0), "°c": ("C", 1.0), "degc": ("C", 1.0)}
AMP_HOURS: Units = {"": ("Ah", 1.0), "ah": ("Ah", 1.0), "mah": ("mAh", 1e-3)}
NUMBER: Units = {"": ("", 1.0)}


@dataclass(frozen=True)
class Column:
    index: int
    name: str  # as written in the header
    unit: str
    factor: float


def pick(
    names: list[str],
    keys: tuple[str, ...],
    units: Units,
    *,
    vendor: str,
    line: int,
    what: str,
    required: bool = True,
    skip_unknown_units: bool = False,
) -> Column | None:
    """The first header field whose normalised name is one of `keys` (in order of preference).
    skip_unknown_units: a field in a unit not in `units` is passed over instead of refused (an
    optional column such as a counter in 'mAh/g')."""
    parsed = [name_and_unit(n) for n in names]
    for key in keys:
        for index, (base, unit) in enumerate(parsed):
            if base != key or (skip_unknown_units and unit not in units):
                continue
            if unit not in units:
                known = ", ".join(label for label, _ in dict(units.values()).items() if label)
                raise TestDataError(
                    f"{vendor}: column '{names[index]}' on line {line} is in '{unit}', which "
                    f"this reader does not convert (expected {known or 'no unit'})"
                )
            label, factor = units[unit]
            return Column(index, names[index], label, factor)
    if required:
        raise TestDataError(
            f"{vendor}: no {what} column found in the header on line {line} "
            f"(columns: {_shown(names)})"
        )
    return None


def _shown(names: list[str]) -> str:
    listed = ", ".join(f"'{n}'" for n in names[:12] if n)
    return listed + (", ..." if len(names) > 12 else "")


def counter_pick(names: list[str], keys: tuple[str, ...], vendor: str, line: int) -> Column | None:
    """An optional capacity counter column in Ah or mAh."""
    return pick(
        names, keys, AMP_HOURS, vendor=vendor, line=line, what="", required=False,
        skip_unknown_units=True,
    )  # fmt: skip
