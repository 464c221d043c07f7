"""The queue's risk score: each part on its own, its boundaries, and properties over all facts."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviews.domain.risk import (
    DEEP_DISCHARGE_KIND,
    ITEM_KIND_LABELS,
    KIND_POINTS,
    SAFETY_EVENT_KINDS,
    ItemKind,
    RiskFacts,
    risk_score,
)

BASE = KIND_POINTS[ItemKind.DISCREPANCY]


def score(**facts) -> int:
    return risk_score(RiskFacts(kind=facts.pop("kind", ItemKind.DISCREPANCY), **facts))[0]


def reasons(**facts) -> list[str]:
    return risk_score(RiskFacts(kind=facts.pop("kind", ItemKind.DISCREPANCY), **facts))[1]


def test_every_kind_has_a_label_and_a_base():
    assert set(ITEM_KIND_LABELS) == set(ItemKind) == set(KIND_POINTS)


def test_a_plain_item_scores_its_kind_alone_with_no_reasons():
    for kind in ItemKind:
        assert risk_score(RiskFacts(kind=kind)) == (KIND_POINTS[kind], [])


def test_duplicate_evidence_outranks_a_plain_discrepancy():
    assert score(kind=ItemKind.DUPLICATE) > score(kind=ItemKind.DISCREPANCY)


@pytest.mark.parametrize(
    ("difference", "points"), [(0, 0), (-3, 6), (3, 6), (-12.5, 25), (-20, 40), (-35, 40)]
)
def test_two_points_per_soh_point_of_difference_up_to_forty(difference, points):
    assert score(difference_points=difference) == BASE + points


def test_the_difference_is_named_with_its_side():
    assert reasons(difference_points=-12.34) == ["measured 12.3 SOH points below the claim"]
    assert reasons(difference_points=4.0) == ["measured 4.0 SOH points above the claim"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_figure_counts_as_no_figure(value):
    facts = {
        "difference_points": value,
        "soh_pct": value,
        "resistance_ratio": value,
        "supplier_bad_share": value,
        "test_data_age_days": value,
    }
    assert risk_score(RiskFacts(kind=ItemKind.DISCREPANCY, chemistry="NMC", **facts)) == (
        BASE,
        [],
    )


@pytest.mark.parametrize("kind", sorted(SAFETY_EVENT_KINDS))
def test_a_safety_event_adds_twenty_five(kind):
    assert score(events=frozenset({kind})) == BASE + 25
    assert "history records" in reasons(events=frozenset({kind}))[0]


def test_a_deep_discharge_alone_adds_fifteen_and_with_another_event_no_more_than_25():
    assert score(events=frozenset({DEEP_DISCHARGE_KIND})) == BASE + 15
    both = frozenset({DEEP_DISCHARGE_KIND, "flood", "leak"})
    assert score(events=both) == BASE + 25
    assert reasons(events=both) == ["history records flood, electrolyte leak, deep discharge"]


def test_other_history_events_add_nothing():
    assert score(events=frozenset({"manufactured", "storage", "custody_transfer"})) == BASE


@pytest.mark.parametrize("chemistry", ["NMC", "NCA"])
@pytest.mark.parametrize(
    ("soh", "near"), [(76.9, False), (77.0, True), (80.0, True), (83.0, True), (83.1, False)]
)
def test_nickel_packs_near_the_80_percent_threshold(chemistry, soh, near):
    assert score(chemistry=chemistry, soh_pct=soh) == BASE + (10 if near else 0)


@pytest.mark.parametrize(
    ("ratio", "near"), [(1.34, False), (1.35, True), (1.5, True), (1.65, True), (1.66, False)]
)
def test_nickel_packs_near_the_resistance_threshold(ratio, near):
    assert score(chemistry="NMC", resistance_ratio=ratio) == BASE + (10 if near else 0)


def test_both_nickel_thresholds_add_up_and_are_both_named():
    assert score(chemistry="NCA", soh_pct=80.5, resistance_ratio=1.5) == BASE + 20
    named = reasons(chemistry="NCA", soh_pct=80.5, resistance_ratio=1.5)
    assert named == [
        "NCA at 80.5 % SOH, near the 80 % threshold",
        "NCA resistance 1.50\u00d7 baseline, near the 1.5\u00d7 threshold",
    ]


@pytest.mark.parametrize("chemistry", ["LFP", "LMO", "LTO", "unknown", ""])
def test_other_chemistries_have_no_nickel_thresholds(chemistry):
    assert score(chemistry=chemistry, soh_pct=80.0, resistance_ratio=1.5) == BASE


@pytest.mark.parametrize(("share", "points"), [(0.0, 0), (0.2, 3), (0.5, 8), (1.0, 15), (3, 15)])
def test_the_suppliers_record_adds_up_to_fifteen(share, points):
    assert score(supplier_bad_share=share) == BASE + points


def test_a_clean_supplier_is_not_named_and_a_bad_one_is():
    assert reasons(supplier_bad_share=0.0) == []
    assert reasons(supplier_bad_share=0.4) == [
        "supplier: 40% of its latest runs were discrepancies or duplicates"
    ]


@pytest.mark.parametrize(
    ("days", "points"), [(-5, 0), (0, 0), (36.5, 1), (182.5, 5), (365, 10), (3000, 10)]
)
def test_staleness_adds_a_point_per_36_and_a_half_days_up_to_ten(days, points):
    assert score(test_data_age_days=days) == BASE + points


def test_staleness_is_named_only_from_ninety_days():
    assert reasons(test_data_age_days=89) == []
    assert reasons(test_data_age_days=200) == ["test data 200 days old"]


def test_reasons_come_biggest_part_first():
    named = reasons(
        difference_points=-15, events=frozenset({"thermal_event"}), test_data_age_days=400
    )
    assert named[0].startswith("measured 15.0")  # 30 points
    assert named[1].startswith("history records")  # 25 points
    assert named[2].startswith("test data")  # 10 points


def test_everything_at_once_is_capped_at_100():
    facts = RiskFacts(
        kind=ItemKind.DUPLICATE,
        difference_points=-30,
        events=frozenset({"thermal_event"}),
        chemistry="NMC",
        soh_pct=80,
        resistance_ratio=1.5,
        supplier_bad_share=1,
        test_data_age_days=1000,
    )
    value, named = risk_score(facts)
    assert value == 100
    assert len(named) == 6


optional = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
facts_strategy = st.builds(
    RiskFacts,
    kind=st.sampled_from(list(ItemKind)),
    difference_points=optional,
    events=st.frozensets(
        st.sampled_from([*SAFETY_EVENT_KINDS, DEEP_DISCHARGE_KIND, "storage", "repair"])
    ),
    chemistry=st.sampled_from(["LFP", "NMC", "NCA", "unknown", ""]),
    soh_pct=optional,
    resistance_ratio=optional,
    supplier_bad_share=optional,
    test_data_age_days=optional,
)


@given(facts_strategy)
def test_the_score_is_always_an_integer_from_0_to_100_with_text_reasons(facts):
    value, named = risk_score(facts)
    assert isinstance(value, int)
    assert 0 <= value <= 100
    assert all(isinstance(reason, str) and reason for reason in named)


@given(facts_strategy, st.floats(min_value=0, max_value=50))
def test_a_bigger_discrepancy_never_ranks_lower(facts, extra):
    difference = facts.difference_points
    if difference is None or not math.isfinite(difference) or abs(difference) > 1e6:
        difference = 0.0
    smaller = RiskFacts(**{**facts.__dict__, "difference_points": difference})
    bigger = RiskFacts(**{**facts.__dict__, "difference_points": -(abs(difference) + extra)})
    assert risk_score(bigger)[0] >= risk_score(smaller)[0]


@given(facts_strategy)
def test_a_safety_event_never_lowers_the_score(facts):
    with_event = RiskFacts(**{**facts.__dict__, "events": facts.events | {"thermal_event"}})
    assert risk_score(with_event)[0] >= risk_score(facts)[0]


@given(facts_strategy)
def test_the_score_is_deterministic(facts):
    assert risk_score(facts) == risk_score(facts)
