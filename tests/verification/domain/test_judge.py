"""judge(): every verdict and the order of the objections; verdict values match choices.py."""

import ast
from pathlib import Path

import pytest

import verification
from verification.domain import verdict as v
from verification.domain.verdict import ClaimCheck, Judgement, judge

BASE = {
    "soh_pct": 80.0,
    "no_soh_reason": "",
    "is_snapshot": False,
    "test_level": "pack",
    "misfit_reasons": (),
    "duplicate_reason": "",
    "model_approved": True,
    "claimed_soh_pct": 82.0,
    "tolerance_pct_points": 3.0,
}
SNAPSHOT = "BMS data read (not a measurement): a BMS snapshot has no discharge to measure"


def call(**changes: object) -> Judgement:
    return judge(**{**BASE, **changes})


def test_confirmed() -> None:
    assert call() == Judgement(
        "confirmed",
        "measured 80.0 % against a claim of 82.0 %, within ±3 points",
        80.0,
        ClaimCheck("confirmed", 82.0, 80.0, -2.0, 3.0),
    )


def test_discrepancy() -> None:
    result = call(soh_pct=70.0, tolerance_pct_points=2.5)
    assert result.verdict == "discrepancy"
    assert result.reason == (
        "measured 70.0 % against a claim of 82.0 %: 12.0 points apart, more than ±2.5"
    )
    assert result.measured_soh_pct == 70.0
    assert result.check == ClaimCheck("discrepancy", 82.0, 70.0, -12.0, 2.5)


@pytest.mark.parametrize(("soh", "verdict"), [(85.0, "confirmed"), (85.01, "discrepancy")])
def test_tolerance_boundary(soh: float, verdict: str) -> None:
    assert call(soh_pct=soh).verdict == verdict


def test_snapshot_beats_everything() -> None:
    result = call(
        is_snapshot=True,
        test_level="cell",
        misfit_reasons=("x",),
        duplicate_reason="dup",
        soh_pct=None,
        model_approved=False,
    )
    assert result == Judgement("not_measured", SNAPSHOT, None, None)


@pytest.mark.parametrize("level", ["cell", "module"])
def test_declared_cell_or_module_is_cell_evidence(level: str) -> None:
    result = call(test_level=level, duplicate_reason="dup", model_approved=False)
    assert result == Judgement(
        "cell_evidence",
        f"declared as a {level} test: shown as {level} evidence; it never confirms the pack's "
        "claim",
        None,
        None,
    )


def test_declared_cell_that_misfits_is_rejected_before_duplicate() -> None:
    result = call(test_level="cell", misfit_reasons=("a.", "b."), duplicate_reason="dup")
    assert result == Judgement("rejected", "a. b.", None, None)


def test_duplicate_keeps_the_measured_soh() -> None:
    result = call(duplicate_reason="the same file as pack X", model_approved=False)
    assert result == Judgement("duplicate", "the same file as pack X", 80.0, None)


def test_duplicate_without_soh() -> None:
    assert call(duplicate_reason="d", soh_pct=None) == Judgement("duplicate", "d", None, None)


def test_a_misfit_is_rejected_not_a_duplicate() -> None:
    """A file that is no evidence for this pack does not count as a second use of another
    pack's file: otherwise anyone could strip a competitor's confirmation with it."""
    result = call(duplicate_reason="d", misfit_reasons=("too big",))
    assert result == Judgement("rejected", "too big", None, None)


def test_misfit_is_rejected_before_inconclusive_and_unapproved() -> None:
    result = call(misfit_reasons=("one.", "two."), soh_pct=None, model_approved=False)
    assert result == Judgement("rejected", "one. two.", None, None)


def test_no_soh_is_inconclusive_with_the_reason() -> None:
    result = call(soh_pct=None, no_soh_reason="stopped on the plateau", model_approved=False)
    assert result == Judgement("inconclusive", "stopped on the plateau", None, None)


def test_no_soh_without_reason_has_a_default() -> None:
    result = call(soh_pct=None)
    assert result == Judgement("inconclusive", "no complete capacity test in the file", None, None)


def test_unapproved_model_keeps_soh_and_check() -> None:
    result = call(model_approved=False, soh_pct=60.0)
    assert result.verdict == "unapproved_model"
    assert result.reason.startswith("the pack model's ratings have not been approved")
    assert result.measured_soh_pct == 60.0
    assert result.check == ClaimCheck("discrepancy", 82.0, 60.0, -22.0, 3.0)


def test_zero_soh_is_a_measurement_not_missing() -> None:
    assert call(soh_pct=0.0, claimed_soh_pct=0.0).verdict == "confirmed"


def test_bad_tolerance_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="tolerance_pct_points must be zero or positive"):
        call(tolerance_pct_points=-1.0)


def test_verdict_constants_match_the_model_choices() -> None:
    # verification/choices.py is Django code; read its literals without importing Django.
    source = Path(verification.__file__).with_name("choices.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    klass = next(
        node for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == "Verdict"
    )
    choices = {
        node.targets[0].id: ast.literal_eval(node.value)[0]
        for node in klass.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)
    }
    constants = {
        name.removeprefix("VERDICT_"): value
        for name, value in vars(v).items()
        if name.startswith("VERDICT_")
    }
    assert constants == choices
    assert len(choices) == 8
