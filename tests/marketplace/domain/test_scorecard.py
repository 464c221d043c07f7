"""The supplier scorecard's formula: each part on hand-computed facts, then its properties
(bounded, monotonic, None with a reason) over generated facts."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.domain.scorecard import (
    MIN_LOTS_FOR_CONSISTENCY,
    MIN_MEASURED_CLAIMS,
    PARTS,
    Claim,
    Scorecard,
    SupplierFacts,
    VolumeMonth,
    error_score,
    scorecard,
)


def claims(*pairs, verdict="confirmed", month="2026-01"):
    return [Claim(claimed, measured, verdict, month) for claimed, measured in pairs]


def facts(**overrides) -> SupplierFacts:
    """A steady supplier: one LFP model, five confirmed claims a point off, all volume verified."""
    base = {
        "lots": 3,
        "packs_by_model": {"CATL TB48100": 50},
        "packs_by_chemistry": {"LFP": 50},
        "claims": claims(*[(85.0, 84.0)] * 5),
        "evidence": {"confirmed": 5},
        "volume": [VolumeMonth("2026-01", 50, 256.0, 50, 256.0)],
    }
    return SupplierFacts(**{**base, **overrides})


def test_a_steady_supplier_scores_100_on_every_measured_part():
    card = scorecard(facts())
    assert card.total == 100
    for key in ("claims_confirmed", "claim_accuracy", "reliable_volume", "pack_consistency"):
        assert card.part(key).value == 100, key
    assert card.part("chemistry_clarity").value == 100
    assert card.part("clean_evidence").value == 100
    assert all(not p.advice for p in card.parts if p.weight > 0)


def test_deals_and_questions_are_absent_with_their_reason_never_a_number():
    card = scorecard(facts())
    arrival, response = card.part("confirmed_on_arrival"), card.part("response_time")
    assert arrival.value is None and arrival.weight == 0
    assert arrival.reason == "not measured yet: no deals on the platform"
    assert response.value is None and response.weight > 0
    assert response.reason == "the auditors have asked nothing yet"


@pytest.mark.parametrize(
    "answered,open_,value",
    [([2.0], [], 100), ([24.0], [], 100), ([14 * 24.0], [], 0), ([1.0, 2.0], [1000.0], 100),
     ([180.0], [], 50), ([], [400.0], 0)],
)  # fmt: skip
def test_response_time_scores_the_median_wait_open_questions_at_their_age(answered, open_, value):
    part = scorecard(facts(answered_hours=answered, open_hours=open_)).part("response_time")
    assert part.value == pytest.approx(value, abs=0.5)
    assert part.inputs["answered"] == len(answered) and part.inputs["open"] == len(open_)
    if open_:
        assert any("waits for your answer" in a or "wait for your answer" in a for a in part.advice)


@given(st.lists(st.floats(0, 5000), max_size=8), st.lists(st.floats(0, 5000), max_size=8))
def test_response_time_is_bounded_and_slower_never_scores_higher(answered, open_):
    part = scorecard(facts(answered_hours=answered, open_hours=open_)).part("response_time")
    if not answered and not open_:
        assert part.value is None
        return
    assert 0 <= part.value <= 100
    slower = scorecard(
        facts(answered_hours=[h + 10 for h in answered], open_hours=[h + 10 for h in open_])
    ).part("response_time")
    assert slower.value <= part.value


def test_every_part_key_is_unique_and_the_measured_weights_sum_to_one():
    assert len({spec.key for spec in PARTS}) == len(PARTS)
    assert sum(spec.weight for spec in PARTS) == pytest.approx(1.0)


def test_too_few_measured_claims_leave_the_total_unscored_and_say_why():
    card = scorecard(facts(claims=claims(*[(85.0, 84.0)] * (MIN_MEASURED_CLAIMS - 1))))
    assert card.total is None
    assert f"{MIN_MEASURED_CLAIMS - 1} measured claims" in card.total_reason
    assert card.part("claims_confirmed").value is None
    assert "1 more measured claims" in card.part("claims_confirmed").advice[0]
    # The parts that need no measurement are still shown.
    assert card.part("chemistry_clarity").value == 100


def test_only_confirmed_and_discrepancy_judge_a_claim():
    held = claims(*[(90.0, 70.0)] * 10, verdict="unapproved_model")
    card = scorecard(facts(claims=claims(*[(85.0, 84.0)] * 5) + held))
    assert card.part("claims_confirmed").inputs["measured"] == 5
    assert card.part("claims_confirmed").inputs["awaiting_judgement"] == 10
    assert card.part("claim_accuracy").value == 100


def test_claims_confirmed_is_the_confirmed_share():
    mixed = claims(*[(85.0, 84.0)] * 6) + claims(*[(85.0, 70.0)] * 4, verdict="discrepancy")
    part = scorecard(facts(claims=mixed)).part("claims_confirmed")
    assert part.value == 60.0
    assert "4 of 10 measured claims were contradicted" in part.advice[0]


@pytest.mark.parametrize(
    ("error", "score"),
    [(0, 100), (1, 100), (-1, 100), (10.5, 50), (20, 0), (-20, 0), (35, 0)],
)
def test_error_score_is_free_within_a_point_and_zero_at_twenty(error, score):
    assert error_score(error) == score


def test_claim_accuracy_weighs_the_mean_and_the_worst():
    # Errors 1, 1, 1, 1, 10.5: mean 2.9 -> s 90; worst 10.5 -> s 50; 0.75*90 + 0.25*50 = 80.
    mixed = claims(*[(85.0, 84.0)] * 4, (80.5, 70.0))
    part = scorecard(facts(claims=mixed)).part("claim_accuracy")
    assert part.inputs["mean_abs_error"] == 2.9
    assert part.inputs["worst_error"] == 10.5
    assert part.value == 80.0
    assert "above it" in part.advice[0]


def test_reliable_volume_is_verified_over_decided_kwh():
    volume = [
        VolumeMonth("2026-01", 10, 100.0, 10, 100.0),
        VolumeMonth("2026-02", 30, 300.0, 0, 0.0, 10, 100.0),  # 20 packs still in verification
    ]
    part = scorecard(facts(volume=volume)).part("reliable_volume")
    assert part.value == 50.0
    assert part.inputs["listed_kwh"] == 400.0
    assert "100 kWh" in part.advice[0]


def test_reliable_volume_waits_for_an_outcome():
    part = scorecard(facts(volume=[VolumeMonth("2026-01", 10, 100.0)])).part("reliable_volume")
    assert part.value is None
    assert part.reason == "no listed lot has finished verification yet"


def test_pack_consistency_is_the_herfindahl_index():
    part = scorecard(facts(packs_by_model={"A": 30, "B": 10})).part("pack_consistency")
    assert part.value == 62.5  # 0.75^2 + 0.25^2
    assert part.inputs["top_model"] == "A"
    assert "2 pack models (A is 75 %)" in part.advice[0]


def test_pack_consistency_needs_two_lots():
    part = scorecard(facts(lots=MIN_LOTS_FOR_CONSISTENCY - 1)).part("pack_consistency")
    assert part.value is None
    assert "1 lot listed" in part.reason


def test_chemistry_clarity_counts_unknown_packs():
    part = scorecard(facts(packs_by_chemistry={"LFP": 30, "unknown": 10})).part("chemistry_clarity")
    assert part.value == 75.0
    assert part.advice[0].startswith("10 packs belong to pack models of unknown chemistry")


def test_clean_evidence_counts_duplicates_rejections_and_failures_not_inconclusive():
    evidence = {"confirmed": 6, "inconclusive": 2, "duplicate": 1, "rejected": 0, "failed": 1}
    part = scorecard(facts(evidence={**evidence, "pending": 7})).part("clean_evidence")
    assert part.value == 80.0
    assert part.inputs["uploads"] == 10
    assert len(part.advice) == 2


def test_nothing_listed_scores_nothing_and_every_part_says_why():
    card = scorecard(SupplierFacts())
    assert card.total is None
    for part in card.parts:
        assert part.value is None
        assert part.reason


def test_trends_by_month():
    mixed = claims((85.0, 84.0), month="2026-01") + claims(
        (85.0, 84.0), (90.0, 70.0), verdict="discrepancy", month="2026-03"
    )
    card = scorecard(facts(claims=mixed, volume=[VolumeMonth("2026-02", 5, 25.0, 5, 25.0)]))
    assert [t.month for t in card.trends] == ["2026-01", "2026-02", "2026-03"]
    march = card.trends[2]
    assert (march.claims, march.confirmed, march.confirmed_pct) == (2, 0, 0.0)
    assert (march.mean_error, march.worst_error) == (10.5, 20.0)
    assert card.trends[1].confirmed_pct is None


def test_a_scorecard_round_trips_through_its_dict():
    card = scorecard(facts(claims=claims(*[(85.0, 80.0)] * 5, verdict="discrepancy")))
    assert Scorecard.from_dict(card.to_dict()) == card


# Generated facts: every value bounded, the total monotonic where it must be.
claim_st = st.builds(
    Claim,
    claimed_soh_pct=st.floats(0, 100),
    measured_soh_pct=st.floats(0, 110),
    verdict=st.sampled_from(["confirmed", "discrepancy", "unapproved_model"]),
    month=st.sampled_from(["2025-11", "2025-12", "2026-01"]),
)
month_st = st.builds(
    VolumeMonth,
    month=st.sampled_from(["2025-11", "2025-12", "2026-01"]),
    listed_packs=st.integers(0, 500),
    listed_kwh=st.floats(0, 5000),
    verified_packs=st.integers(0, 500),
    verified_kwh=st.floats(0, 5000),
    not_verified_packs=st.integers(0, 500),
    not_verified_kwh=st.floats(0, 5000),
)
facts_st = st.builds(
    SupplierFacts,
    lots=st.integers(0, 50),
    packs_by_model=st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 200)),
    packs_by_chemistry=st.dictionaries(
        st.sampled_from(["LFP", "NMC", "unknown"]), st.integers(0, 200)
    ),
    claims=st.lists(claim_st, max_size=30),
    evidence=st.dictionaries(
        st.sampled_from(["confirmed", "discrepancy", "duplicate", "rejected", "failed", "pending"]),
        st.integers(0, 50),
    ),
    volume=st.lists(month_st, max_size=3, unique_by=lambda m: m.month),
)


@settings(max_examples=300, deadline=None)
@given(facts_st)
def test_every_value_is_bounded_or_absent_with_a_reason(f):
    card = scorecard(f)
    assert card.total is None or 0 <= card.total <= 100
    assert card.total_reason
    for part in card.parts:
        assert part.value is None or 0 <= part.value <= 100
        assert part.reason
    judged = sum(c.verdict in ("confirmed", "discrepancy") for c in f.claims)
    assert (card.total is None) == (judged < MIN_MEASURED_CLAIMS)


@settings(max_examples=300, deadline=None)
@given(facts_st, st.data())
def test_confirming_a_contradicted_claim_never_lowers_the_score(f, data):
    contradicted = [i for i, c in enumerate(f.claims) if c.verdict == "discrepancy"]
    if not contradicted:
        return
    i = data.draw(st.sampled_from(contradicted))
    better = list(f.claims)
    better[i] = dataclasses.replace(better[i], verdict="confirmed")
    before, after = scorecard(f), scorecard(dataclasses.replace(f, claims=better))
    if before.part("claims_confirmed").value is not None:
        assert after.part("claims_confirmed").value > before.part("claims_confirmed").value
    if before.total is not None:
        assert after.total >= before.total


@settings(max_examples=200, deadline=None)
@given(facts_st, st.integers(1, 100))
def test_more_unknown_chemistry_never_raises_the_score(f, extra):
    chem = dict(f.packs_by_chemistry)
    chem["unknown"] = chem.get("unknown", 0) + extra
    before, after = scorecard(f), scorecard(dataclasses.replace(f, packs_by_chemistry=chem))
    assert after.part("chemistry_clarity").value <= (before.part("chemistry_clarity").value or 100)
    if before.total is not None and before.part("chemistry_clarity").value is not None:
        assert after.total <= before.total


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 50), st.floats(0, 50))
def test_a_larger_error_never_scores_higher(a, b):
    small, large = sorted([a, b])
    assert error_score(large) <= error_score(small)


@settings(max_examples=100, deadline=None)
@given(facts_st)
def test_a_part_below_100_tells_the_supplier_what_would_raise_it(f):
    advised = ("claims_confirmed", "reliable_volume", "chemistry_clarity", "clean_evidence")
    for part in scorecard(f).parts:
        if part.key in advised and part.value is not None and part.value < 100:
            assert part.advice, part.key
