"""Measured against claimed SOH: the verdict that decides whether a lot goes to an auditor."""

import math
from dataclasses import dataclass

VERDICT_CONFIRMED = "confirmed"
VERDICT_DISCREPANCY = "discrepancy"
# Differences of floats carry noise (4.4 - 1.4 is 3.0000000000000004); a claim exactly on the
# tolerance must not fail on that noise.
_EPSILON = 1e-9


@dataclass(frozen=True)
class ClaimCheck:
    verdict: str
    claimed_soh_pct: float
    measured_soh_pct: float
    difference_pct_points: float  # measured - claimed
    tolerance_pct_points: float


def check_claim(
    *, claimed_soh_pct: float, measured_soh_pct: float, tolerance_pct_points: float = 3.0
) -> ClaimCheck:
    """Confirmed when |claimed - measured| <= tolerance, boundary included."""
    for name, value in (
        ("claimed_soh_pct", claimed_soh_pct),
        ("measured_soh_pct", measured_soh_pct),
        ("tolerance_pct_points", tolerance_pct_points),
    ):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, not {value!r}")
    if tolerance_pct_points < 0:
        raise ValueError("tolerance_pct_points must be zero or positive")
    difference = measured_soh_pct - claimed_soh_pct
    confirmed = abs(difference) <= tolerance_pct_points + _EPSILON
    return ClaimCheck(
        verdict=VERDICT_CONFIRMED if confirmed else VERDICT_DISCREPANCY,
        claimed_soh_pct=claimed_soh_pct,
        measured_soh_pct=measured_soh_pct,
        difference_pct_points=difference,
        tolerance_pct_points=tolerance_pct_points,
    )
