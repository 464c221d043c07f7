"""How many packs of a lot must carry a measurement before the lot counts as verified.

A buyer cannot have every pack of a large lot tested, and a supplier must not choose how few
are: the rule set carries a sampling plan, by default ISO 2859-1's general inspection level II
sample sizes. A plan is a list of (largest lot size, sample size) rows in increasing order;
lots larger than the last row take its sample size.
"""

from __future__ import annotations

from collections.abc import Sequence

# ISO 2859-1, general inspection level II: code letters A-L and their sample sizes.
ISO_2859_1_LEVEL_II: tuple[tuple[int, int], ...] = (
    (8, 2),
    (15, 3),
    (25, 5),
    (50, 8),
    (90, 13),
    (150, 20),
    (280, 32),
    (500, 50),
    (1200, 80),
    (3200, 125),
    (10000, 200),
)
DEFAULT_SAMPLE_PLAN = ISO_2859_1_LEVEL_II

Plan = Sequence[Sequence[int]]


class SamplePlanError(ValueError):
    pass


def sample_plan_validated(plan: object) -> tuple[tuple[int, int], ...]:
    """The plan as (lot size, sample size) pairs, or SamplePlanError saying what is wrong."""
    if not isinstance(plan, list | tuple) or not plan:
        raise SamplePlanError("a sampling plan needs at least one row of lot size and sample size")
    rows: list[tuple[int, int]] = []
    for number, row in enumerate(plan, start=1):
        if (
            not isinstance(row, list | tuple)
            or len(row) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in row)
        ):
            raise SamplePlanError(f"row {number}: give two whole numbers, lot size and sample size")
        lot_size, sample = row
        if lot_size < 1 or sample < 1:
            raise SamplePlanError(f"row {number}: lot size and sample size must be at least 1")
        if rows and lot_size <= rows[-1][0]:
            raise SamplePlanError(f"row {number}: lot sizes must increase from row to row")
        if rows and sample < rows[-1][1]:
            raise SamplePlanError(f"row {number}: a larger lot cannot need a smaller sample")
        rows.append((lot_size, sample))
    return tuple(rows)


def sample_size_required(lot_size: int, plan: Plan = DEFAULT_SAMPLE_PLAN) -> int:
    """Packs that must be measured for a lot of `lot_size` packs: never more than the lot."""
    if lot_size < 1:
        raise ValueError("a lot has at least one pack")
    sample = plan[-1][1]
    for largest, size in plan:
        if lot_size <= largest:
            sample = size
            break
    return min(sample, lot_size)


def sample_plan_text(plan: Plan) -> str:
    """The plan as a supplier reads it: "2-8: 2, 9-15: 3, ..., over 10000: 200"."""
    parts, low = [], 1
    for largest, size in plan:
        span = f"{low}" if low == largest else f"{low}-{largest}"
        parts.append(f"{span}: {size}")
        low = largest + 1
    parts.append(f"over {plan[-1][0]}: {plan[-1][1]}")
    return ", ".join(parts)


def sample_confirmed(*, measured: int, confirmed: int, required: int) -> bool:
    """The lot's sample is met: at least `required` distinct packs carry a complete, consistent
    measurement, and every pack measured so far confirms its claim (one that cannot confirm,
    a discrepancy or a measurement against an unapproved pack model, holds the lot back)."""
    return required > 0 and confirmed >= required and confirmed == measured
