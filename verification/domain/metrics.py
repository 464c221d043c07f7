"""What the figures engine shares about capacity: the full-cycle rule and the SOH ratio. (The
sample-by-sample reference integrator lives with the tests: tests/verification/oracles.py.)"""

import math

# A cycle delivering less than this share of the best cycle is taken to be truncated or partial.
FULL_CYCLE_SHARE = 0.8


def soh_pct(*, measured_capacity_ah: float, nominal_capacity_ah: float) -> float:
    """SOH = measured capacity / nominal capacity x 100."""
    if not math.isfinite(nominal_capacity_ah) or nominal_capacity_ah <= 0:
        raise ValueError("nominal_capacity_ah must be a positive number")
    if not math.isfinite(measured_capacity_ah) or measured_capacity_ah < 0:
        raise ValueError("measured_capacity_ah must be zero or a positive number")
    return measured_capacity_ah / nominal_capacity_ah * 100
