"""A measurement's fingerprint: the same test offered for two packs, whatever the file's bytes.

Re-exporting, re-saving or trimming a header changes a file's sha256 but not what it measured:
the cycle count and every cycle's charge and discharge Ah and Wh to 4 significant figures.
Two different packs do not give the same four figures on every cycle of a test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

FIELDS = ("charge_capacity_ah", "discharge_capacity_ah", "charge_energy_wh", "discharge_energy_wh")
SIGNIFICANT = 4


def fingerprint(cycle_rows: Sequence[object]) -> str | None:
    """sha256 hex of the per-cycle figures (CycleFigures, or the rows as stored); None when
    nothing was discharged (no measurement)."""
    if not any((_value(row, "discharge_capacity_ah") or 0) > 0 for row in cycle_rows):
        return None
    parts = [str(len(cycle_rows))]
    for row in cycle_rows:
        parts.append(",".join(f"{float(_value(row, name)):.{SIGNIFICANT}g}" for name in FIELDS))
    return hashlib.sha256(";".join(parts).encode()).hexdigest()


def _value(row: object, name: str) -> object:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name)
