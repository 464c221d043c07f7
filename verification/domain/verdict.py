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


VERDICT_INCONCLUSIVE = "inconclusive"
VERDICT_REJECTED = "rejected"
VERDICT_DUPLICATE = "duplicate"
VERDICT_CELL_EVIDENCE = "cell_evidence"
VERDICT_UNAPPROVED_MODEL = "unapproved_model"
VERDICT_NOT_MEASURED = "not_measured"


@dataclass(frozen=True)
class Judgement:
    """What one measurement proves about one pack's claim."""

    verdict: str
    reason: str
    # The SOH that stands as this pack's measurement: None unless the file holds a complete
    # capacity test of this pack (a duplicate keeps it, so auditors compare the two packs).
    measured_soh_pct: float | None
    check: ClaimCheck | None


def judge(
    *,
    soh_pct: float | None,
    no_soh_reason: str,
    is_snapshot: bool,
    test_level: str,
    misfit_reasons: tuple[str, ...],
    duplicate_reason: str,
    model_approved: bool,
    claimed_soh_pct: float,
    tolerance_pct_points: float,
) -> Judgement:
    """The verdict, strongest objection first: a snapshot measures nothing; a declared cell or
    module test is cell evidence; a file that does not fit the pack is not its evidence; a
    fitting file also offered for another pack is a duplicate; a file without a complete test is
    inconclusive; a pack model no auditor approved cannot confirm (its nominal is the seller's
    word); only then is the measured SOH compared with the claim."""
    if is_snapshot:
        return Judgement(
            VERDICT_NOT_MEASURED,
            "BMS data read (not a measurement): a BMS snapshot has no discharge to measure",
            None,
            None,
        )
    if test_level != "pack":
        if misfit_reasons:
            return Judgement(VERDICT_REJECTED, " ".join(misfit_reasons), None, None)
        return Judgement(
            VERDICT_CELL_EVIDENCE,
            f"declared as a {test_level} test: shown as {test_level} evidence; it never "
            "confirms the pack's claim",
            None,
            None,
        )
    if misfit_reasons:
        # Not this pack's evidence at all: it neither confirms nor counts as a second use of
        # another pack's file (which would let anyone strip a competitor's confirmation).
        return Judgement(VERDICT_REJECTED, " ".join(misfit_reasons), None, None)
    if duplicate_reason:
        return Judgement(VERDICT_DUPLICATE, duplicate_reason, soh_pct, None)
    if soh_pct is None:
        reason = no_soh_reason or "no complete capacity test in the file"
        return Judgement(VERDICT_INCONCLUSIVE, reason, None, None)
    check = check_claim(
        claimed_soh_pct=claimed_soh_pct,
        measured_soh_pct=soh_pct,
        tolerance_pct_points=tolerance_pct_points,
    )
    if not model_approved:
        return Judgement(
            VERDICT_UNAPPROVED_MODEL,
            "the pack model's ratings have not been approved by an auditor, so the measured "
            "SOH (measured Ah over the model's nominal Ah) cannot confirm the claim yet",
            soh_pct,
            check,
        )
    reason = (
        f"measured {soh_pct:.1f} % against a claim of {claimed_soh_pct:.1f} %, "
        f"within ±{tolerance_pct_points:g} points"
        if check.verdict == VERDICT_CONFIRMED
        else f"measured {soh_pct:.1f} % against a claim of {claimed_soh_pct:.1f} %: "
        f"{abs(check.difference_pct_points):.1f} points apart, more than ±"
        f"{tolerance_pct_points:g}"
    )
    return Judgement(check.verdict, reason, soh_pct, check)
