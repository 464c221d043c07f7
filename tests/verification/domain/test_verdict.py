import pytest

from verification.domain import VERDICT_CONFIRMED, VERDICT_DISCREPANCY, ClaimCheck, check_claim


@pytest.mark.parametrize(
    ("claimed", "measured", "verdict"),
    [
        (80.0, 80.0, VERDICT_CONFIRMED),
        (80.0, 83.0, VERDICT_CONFIRMED),  # exactly on the tolerance: boundary included
        (80.0, 77.0, VERDICT_CONFIRMED),
        (1.4, 4.4, VERDICT_CONFIRMED),  # 4.4 - 1.4 == 3.0000000000000004 in floats
        (4.1, 1.1, VERDICT_CONFIRMED),
        (80.0, 83.01, VERDICT_DISCREPANCY),
        (80.0, 76.99, VERDICT_DISCREPANCY),
        (90.0, 60.0, VERDICT_DISCREPANCY),
    ],
)
def test_default_tolerance_is_three_points_inclusive(
    claimed: float, measured: float, verdict: str
) -> None:
    check = check_claim(claimed_soh_pct=claimed, measured_soh_pct=measured)
    assert check.verdict == verdict
    assert check.tolerance_pct_points == 3.0


def test_difference_is_measured_minus_claimed() -> None:
    check = check_claim(claimed_soh_pct=85.0, measured_soh_pct=72.5)
    assert check == ClaimCheck(
        verdict=VERDICT_DISCREPANCY,
        claimed_soh_pct=85.0,
        measured_soh_pct=72.5,
        difference_pct_points=-12.5,
        tolerance_pct_points=3.0,
    )


@pytest.mark.parametrize(
    ("measured", "tolerance", "verdict"),
    [
        (84.5, 5.0, VERDICT_CONFIRMED),
        (80.5, 0.0, VERDICT_DISCREPANCY),
        (80.0, 0.0, VERDICT_CONFIRMED),
    ],
)
def test_custom_tolerance(measured: float, tolerance: float, verdict: str) -> None:
    check = check_claim(
        claimed_soh_pct=80.0, measured_soh_pct=measured, tolerance_pct_points=tolerance
    )
    assert check.verdict == verdict
    assert check.tolerance_pct_points == tolerance


def test_verdict_values_are_stable_strings() -> None:
    # They are stored with each verification, so renaming one needs a data migration.
    assert (VERDICT_CONFIRMED, VERDICT_DISCREPANCY) == ("confirmed", "discrepancy")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"claimed_soh_pct": 80, "measured_soh_pct": 80, "tolerance_pct_points": -1},
        {"claimed_soh_pct": float("nan"), "measured_soh_pct": 80},
        {"claimed_soh_pct": 80, "measured_soh_pct": float("inf")},
    ],
)
def test_invalid_input(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        check_claim(**kwargs)
