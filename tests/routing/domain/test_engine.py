"""Every rule and boundary of DESIGN.md's default rule set, one case at a time."""

import copy
import dataclasses
import json
import pickle
from decimal import Decimal

import pytest

from routing.domain import (
    CHEMISTRIES,
    DEEP_DISCHARGE,
    OUTCOME_FIRED,
    OUTCOME_NOT_REACHED,
    OUTCOME_OFF,
    OUTCOME_PASSED,
    ROUTE_HOLD,
    ROUTE_RECYCLE,
    ROUTE_REUSE_ESS,
    ROUTE_SMALL_APPLICATION,
    ROUTES,
    RULE_NAMES,
    SAFETY_EVENTS,
    Decision,
    PackFacts,
    RuleCheck,
    Thresholds,
    decide,
)

DEFAULTS = Thresholds()
LFP_WARRANTY = DEFAULTS.warranty_lfp_reuse_ess
NMC_WARRANTY = DEFAULTS.warranty_nmc_reuse_ess
SMALL_WARRANTY = DEFAULTS.warranty_small_application


def facts(**changes) -> PackFacts:
    """A healthy, verified LFP pack; each test changes only what it is about."""
    base = {"chemistry": "LFP", "soh_pct": 75.0, "verified": True}
    base.update(changes)
    return PackFacts(**base)


def check(decision: Decision, name: str) -> RuleCheck:
    return next(c for c in decision.checks if c.name == name)


def fired(decision: Decision) -> RuleCheck:
    [only] = [c for c in decision.checks if c.outcome == OUTCOME_FIRED]
    return only


def assert_well_formed(decision: Decision) -> None:
    assert decision.route in ROUTES
    assert tuple(c.name for c in decision.checks) == RULE_NAMES
    outcomes = [c.outcome for c in decision.checks]
    assert outcomes.count(OUTCOME_FIRED) == 1
    at = outcomes.index(OUTCOME_FIRED)
    assert set(outcomes[:at]) <= {OUTCOME_PASSED, OUTCOME_OFF}
    assert set(outcomes[at + 1 :]) <= {OUTCOME_NOT_REACHED}
    for c in decision.checks:
        assert c.threshold and c.value and c.explanation
        assert c.explanation.endswith(".")


def test_public_constants_match_the_design():
    assert ROUTES == ("reuse-ESS", "small-application", "recycle", "hold")
    assert CHEMISTRIES == ("LFP", "NMC", "NCA", "LMO", "LTO", "unknown")
    assert sorted(SAFETY_EVENTS) == ["crash-damage", "flood", "leak", "swelling", "thermal-event"]
    assert DEEP_DISCHARGE == "deep-discharge"
    assert RULE_NAMES == (
        "chemistry-known",
        "safety-events",
        "deep-discharge",
        "lifetime-history",
        "calendar-life",
        "cell-floor",
        "nmc-reuse",
        "capacity-band",
    )


# Rule 1: chemistry


@pytest.mark.parametrize("chemistry", ["unknown", "", "lfp", "Na-ion", "LiPo", None])
def test_unknown_or_unrecognised_chemistry_is_held(chemistry):
    decision = decide(facts(chemistry=chemistry, soh_pct=95.0))
    assert decision.route == ROUTE_HOLD
    assert decision.warranty == ""
    assert fired(decision).name == "chemistry-known"
    assert_well_formed(decision)


def test_unknown_chemistry_is_checked_before_safety_events():
    decision = decide(facts(chemistry="unknown", events=frozenset({"thermal-event"})))
    assert decision.route == ROUTE_HOLD
    assert fired(decision).name == "chemistry-known"
    assert check(decision, "safety-events").outcome == OUTCOME_NOT_REACHED


@pytest.mark.parametrize("chemistry", ["LFP", "NMC", "NCA", "LMO", "LTO"])
def test_known_chemistry_passes_the_first_rule(chemistry):
    decision = decide(facts(chemistry=chemistry, soh_pct=90.0, resistance_ratio=1.0))
    assert check(decision, "chemistry-known").outcome == OUTCOME_PASSED
    assert chemistry in check(decision, "chemistry-known").value


# Rule 2: safety events, deep discharge


@pytest.mark.parametrize("event", sorted(SAFETY_EVENTS))
@pytest.mark.parametrize("chemistry", ["LFP", "NMC"])
def test_any_safety_event_recycles_even_a_healthy_pack(event, chemistry):
    decision = decide(
        facts(chemistry=chemistry, soh_pct=99.0, resistance_ratio=1.0, events=frozenset({event}))
    )
    assert decision.route == ROUTE_RECYCLE
    assert decision.warranty == ""
    assert fired(decision).name == "safety-events"
    assert event in fired(decision).value
    assert_well_formed(decision)


def test_safety_explanation_names_the_events_in_plain_words():
    decision = decide(facts(events=frozenset({"crash-damage", "flood", "storage"})))
    assert fired(decision).value == "recorded: crash-damage, flood"
    assert "(crash damage, flood)" in fired(decision).explanation


def test_deep_discharge_is_held_for_audit():
    decision = decide(facts(soh_pct=95.0, events=frozenset({DEEP_DISCHARGE})))
    assert decision.route == ROUTE_HOLD
    assert fired(decision).name == "deep-discharge"
    assert check(decision, "safety-events").outcome == OUTCOME_PASSED
    assert_well_formed(decision)


def test_a_safety_event_outranks_a_deep_discharge():
    decision = decide(facts(events=frozenset({DEEP_DISCHARGE, "swelling"})))
    assert decision.route == ROUTE_RECYCLE
    assert fired(decision).name == "safety-events"


@pytest.mark.parametrize("events", [frozenset(), frozenset({"storage", "repair"})])
def test_events_outside_the_rules_are_ignored(events):
    decision = decide(facts(events=events))
    assert decision.route == ROUTE_REUSE_ESS


def test_events_may_be_any_collection():
    assert decide(facts(events={"flood"})).route == ROUTE_RECYCLE
    assert decide(facts(events=[DEEP_DISCHARGE])).route == ROUTE_HOLD


# Rules 2c and 2d: the switchable standards rules


def test_missing_history_is_held_under_iec_63338():
    decision = decide(facts(has_history=False, soh_pct=95.0))
    assert decision.route == ROUTE_HOLD
    assert fired(decision).name == "lifetime-history"
    assert "IEC 63338" in fired(decision).threshold
    assert "IEC 63338" in fired(decision).explanation
    assert_well_formed(decision)


def test_history_rule_switched_off_lets_the_pack_through():
    decision = decide(facts(has_history=False), Thresholds(require_history=False))
    assert decision.route == ROUTE_REUSE_ESS
    history = check(decision, "lifetime-history")
    assert history.outcome == OUTCOME_OFF
    assert history.value == "no history recorded"
    assert_well_formed(decision)


def test_history_rule_switched_off_is_off_even_with_history():
    decision = decide(facts(), Thresholds(require_history=False))
    assert check(decision, "lifetime-history").outcome == OUTCOME_OFF


def test_calendar_expiry_recycles_under_ul_1974():
    decision = decide(facts(calendar_expired=True, soh_pct=95.0))
    assert decision.route == ROUTE_RECYCLE
    assert fired(decision).name == "calendar-life"
    assert "UL 1974, 2nd edition" in fired(decision).threshold
    assert_well_formed(decision)


def test_calendar_rule_switched_off_lets_the_pack_through():
    decision = decide(facts(calendar_expired=True), Thresholds(recycle_calendar_expired=False))
    assert decision.route == ROUTE_REUSE_ESS
    assert check(decision, "calendar-life").outcome == OUTCOME_OFF
    assert check(decision, "calendar-life").value == "past calendar-life expiry"
    assert_well_formed(decision)


def test_history_rule_comes_before_calendar_rule():
    both = facts(has_history=False, calendar_expired=True)
    assert decide(both).route == ROUTE_HOLD
    assert decide(both, Thresholds(require_history=False)).route == ROUTE_RECYCLE
    neither = Thresholds(require_history=False, recycle_calendar_expired=False)
    assert decide(both, neither).route == ROUTE_REUSE_ESS


def test_deep_discharge_comes_before_the_standards_rules():
    decision = decide(
        facts(events=frozenset({DEEP_DISCHARGE}), has_history=False, calendar_expired=True)
    )
    assert fired(decision).name == "deep-discharge"


# Rule 3: the 20 % floor


@pytest.mark.parametrize(
    ("weakest", "soh", "route"),
    [
        (19.9, 75.0, ROUTE_RECYCLE),
        (19.999, 75.0, ROUTE_RECYCLE),
        (20.0, 75.0, ROUTE_REUSE_ESS),
        (None, 19.9, ROUTE_RECYCLE),
        (None, 20.0, ROUTE_SMALL_APPLICATION),
        (25.0, 19.9, ROUTE_RECYCLE),
        (0.0, 0.0, ROUTE_RECYCLE),
        (-5.0, 75.0, ROUTE_RECYCLE),
    ],
)
def test_floor_boundaries(weakest, soh, route):
    decision = decide(facts(weakest_cell_soh_pct=weakest, soh_pct=soh))
    assert decision.route == route
    floor = check(decision, "cell-floor")
    assert floor.outcome == (OUTCOME_FIRED if route == ROUTE_RECYCLE else OUTCOME_PASSED)
    assert_well_formed(decision)


@pytest.mark.parametrize("chemistry", ["NMC", "NCA"])
def test_weak_cell_recycles_a_nickel_pack_before_its_own_rule(chemistry):
    decision = decide(
        facts(chemistry=chemistry, soh_pct=90.0, weakest_cell_soh_pct=15.0, resistance_ratio=1.0)
    )
    assert decision.route == ROUTE_RECYCLE
    assert fired(decision).name == "cell-floor"
    assert "weakest cell is at 15.0 % SOH" in fired(decision).explanation
    assert check(decision, "nmc-reuse").outcome == OUTCOME_NOT_REACHED


def test_custom_floor_is_used_for_cell_and_pack():
    rules = Thresholds(weakest_cell_min_soh_pct=30.0)
    assert decide(facts(weakest_cell_soh_pct=29.9), rules).route == ROUTE_RECYCLE
    assert decide(facts(soh_pct=29.9), rules).route == ROUTE_RECYCLE
    assert decide(facts(soh_pct=30.0), rules).route == ROUTE_SMALL_APPLICATION
    assert check(decide(facts(), rules), "cell-floor").threshold.endswith(">= 30.0 %")


# Rule 4: NMC / NCA


@pytest.mark.parametrize("chemistry", ["NMC", "NCA"])
@pytest.mark.parametrize(
    ("soh", "ratio", "route"),
    [
        (80.1, 1.0, ROUTE_REUSE_ESS),
        (95.0, 1.49, ROUTE_REUSE_ESS),
        (80.0, 1.0, ROUTE_RECYCLE),
        (79.9, 1.0, ROUTE_RECYCLE),
        (90.0, 1.5, ROUTE_RECYCLE),
        (90.0, 2.0, ROUTE_RECYCLE),
        (90.0, None, ROUTE_HOLD),
        (80.1, None, ROUTE_HOLD),
        (80.0, None, ROUTE_RECYCLE),
        (65.0, None, ROUTE_RECYCLE),
        (45.0, 1.0, ROUTE_RECYCLE),
        (20.0, 1.0, ROUTE_RECYCLE),
    ],
)
def test_nickel_rule_boundaries(chemistry, soh, ratio, route):
    decision = decide(facts(chemistry=chemistry, soh_pct=soh, resistance_ratio=ratio))
    assert decision.route == route
    assert fired(decision).name == "nmc-reuse"
    assert check(decision, "capacity-band").outcome == OUTCOME_NOT_REACHED
    assert decision.warranty == (NMC_WARRANTY if route == ROUTE_REUSE_ESS else "")
    assert_well_formed(decision)


def test_nickel_hold_says_the_figure_is_missing_not_failed():
    decision = decide(facts(chemistry="NMC", soh_pct=84.2))
    assert fired(decision).value == "SOH 84.2 % (measured), resistance not measured"
    assert "missing, not failed" in fired(decision).explanation


def test_nickel_recycle_names_the_figure_that_failed():
    by_ratio = fired(decide(facts(chemistry="NCA", soh_pct=90.0, resistance_ratio=1.62)))
    assert "1.62 x baseline" in by_ratio.explanation
    by_soh = fired(decide(facts(chemistry="NCA", soh_pct=72.0, resistance_ratio=1.0)))
    assert "72.0 %" in by_soh.explanation


def test_nickel_thresholds_are_editable():
    rules = Thresholds(nmc_reuse_min_soh_pct=70.0, nmc_max_resistance_ratio=2.0)
    assert decide(facts(chemistry="NMC", soh_pct=75.0, resistance_ratio=1.8), rules).route == (
        ROUTE_REUSE_ESS
    )
    assert fired(decide(facts(chemistry="NMC", soh_pct=75.0), rules)).threshold == (
        "NMC/NCA: SOH > 70.0 % and resistance < 2.00 x baseline"
    )


@pytest.mark.parametrize("chemistry", ["LFP", "LMO", "LTO"])
def test_nickel_rule_passes_other_chemistries(chemistry):
    decision = decide(facts(chemistry=chemistry))
    assert check(decision, "nmc-reuse").outcome == OUTCOME_PASSED
    assert fired(decision).name == "capacity-band"


# Rule 5: capacity bands


@pytest.mark.parametrize("chemistry", ["LFP", "LMO", "LTO"])
@pytest.mark.parametrize(
    ("soh", "route", "warranty"),
    [
        (105.0, ROUTE_REUSE_ESS, LFP_WARRANTY),
        (100.0, ROUTE_REUSE_ESS, LFP_WARRANTY),
        (60.0, ROUTE_REUSE_ESS, LFP_WARRANTY),
        (59.99, ROUTE_SMALL_APPLICATION, SMALL_WARRANTY),
        (45.0, ROUTE_SMALL_APPLICATION, SMALL_WARRANTY),
        (20.0, ROUTE_SMALL_APPLICATION, SMALL_WARRANTY),
        (19.99, ROUTE_RECYCLE, ""),
    ],
)
def test_capacity_band_boundaries(chemistry, soh, route, warranty):
    decision = decide(facts(chemistry=chemistry, soh_pct=soh))
    assert decision.route == route
    assert decision.warranty == warranty
    assert_well_formed(decision)


def test_band_ignores_resistance_for_non_nickel_chemistries():
    assert decide(facts(soh_pct=65.0, resistance_ratio=3.0)).route == ROUTE_REUSE_ESS


def test_band_recycles_between_floor_and_small_minimum():
    rules = Thresholds(small_application_min_soh_pct=30.0)
    decision = decide(facts(soh_pct=25.0), rules)
    assert decision.route == ROUTE_RECYCLE
    assert fired(decision).name == "capacity-band"
    assert check(decision, "cell-floor").outcome == OUTCOME_PASSED


def test_custom_band_thresholds_and_warranties():
    rules = Thresholds(
        reuse_ess_min_soh_pct=70.0,
        warranty_lfp_reuse_ess="18 months",
        warranty_small_application="6 months",
    )
    assert decide(facts(soh_pct=65.0), rules).warranty == "6 months"
    assert decide(facts(soh_pct=70.0), rules).warranty == "18 months"
    assert fired(decide(facts(), rules)).threshold.startswith("SOH >= 70.0 % reuse-ESS")


# Missing figures


@pytest.mark.parametrize("chemistry", ["LFP", "NMC", "NCA", "LMO", "LTO"])
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_no_pack_soh_is_held_at_the_floor(chemistry, missing):
    decision = decide(facts(chemistry=chemistry, soh_pct=missing, resistance_ratio=1.0))
    assert decision.route == ROUTE_HOLD
    assert fired(decision).name == "cell-floor"
    assert "no pack SOH figure" in fired(decision).explanation
    assert fired(decision).value == "weakest cell not measured, no pack SOH figure"
    assert_well_formed(decision)


def test_no_pack_soh_but_a_dead_cell_still_recycles():
    decision = decide(facts(soh_pct=None, weakest_cell_soh_pct=10.0))
    assert decision.route == ROUTE_RECYCLE


def test_no_pack_soh_with_earlier_rule_firing_uses_that_rule():
    assert fired(decide(facts(chemistry="unknown", soh_pct=None))).name == "chemistry-known"
    assert fired(decide(facts(soh_pct=None, events={"leak"}))).name == "safety-events"


def test_nan_resistance_counts_as_not_measured():
    decision = decide(facts(chemistry="NMC", soh_pct=90.0, resistance_ratio=float("nan")))
    assert decision.route == ROUTE_HOLD


def test_nan_weakest_cell_counts_as_not_measured():
    assert decide(facts(weakest_cell_soh_pct=float("nan"))).route == ROUTE_REUSE_ESS


# Provisional, texts, numbers


def test_unverified_figures_give_a_provisional_route_with_claimed_values():
    decision = decide(facts(verified=False, soh_pct=72.46))
    assert decision.provisional is True
    assert decision.route == ROUTE_REUSE_ESS
    assert fired(decision).value == "SOH 72.5 % (claimed)"


def test_verified_figures_are_not_provisional():
    decision = decide(facts(verified=True, soh_pct=44.44))
    assert decision.provisional is False
    assert fired(decision).value == "SOH 44.4 % (measured)"
    assert "44.4 %" in fired(decision).explanation


def test_default_texts_read_as_documented():
    decision = decide(facts(chemistry="NMC", soh_pct=84.23, resistance_ratio=1.2))
    rule = fired(decision)
    assert rule.threshold == "NMC/NCA: SOH > 80.0 % and resistance < 1.50 x baseline"
    assert rule.value == "SOH 84.2 % (measured), resistance 1.20 x baseline"
    band = check(decide(facts()), "capacity-band")
    assert band.threshold == (
        "SOH >= 60.0 % reuse-ESS; 20.0 % to < 60.0 % small-application; < 20.0 % recycle"
    )


@pytest.mark.parametrize("soh", [Decimal("61.25"), 61, 61.25])
def test_soh_may_be_any_real_number(soh):
    decision = decide(facts(soh_pct=soh))
    assert decision.route == ROUTE_REUSE_ESS
    assert fired(decision).value.startswith("SOH 61.")


def test_reasons_are_the_fired_explanations():
    decision = decide(facts(soh_pct=45.0))
    assert decision.reasons == [fired(decision).explanation]
    assert decision.fired == fired(decision)


# Decision.to_dict


def test_decision_to_dict_is_json_ready_and_complete():
    decision = decide(facts(chemistry="NMC", soh_pct=90.0, resistance_ratio=1.1, verified=False))
    data = decision.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["route"] == ROUTE_REUSE_ESS
    assert data["provisional"] is True
    assert data["warranty"] == NMC_WARRANTY
    assert [rule["name"] for rule in data["rules"]] == list(RULE_NAMES)
    for rule in data["rules"]:
        assert set(rule) == {"name", "threshold", "value", "outcome", "explanation"}
    assert [rule["outcome"] for rule in data["rules"]] == [c.outcome for c in decision.checks]


def test_decisions_are_deterministic_and_comparable():
    one = decide(facts(soh_pct=33.3))
    two = decide(facts(soh_pct=33.3))
    assert one == two
    assert one.to_dict() == two.to_dict()
    assert hash(one) == hash(two)


def test_fast_built_objects_equal_normally_built_ones():
    decision = decide(facts(soh_pct=33.3))
    rebuilt = Decision(
        decision.route,
        decision.provisional,
        decision.warranty,
        tuple(RuleCheck(**c.to_dict()) for c in decision.checks),
    )
    assert rebuilt == decision
    assert repr(rebuilt) == repr(decision)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.route = ROUTE_HOLD
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.checks[0].outcome = OUTCOME_OFF


# Thresholds


def test_thresholds_defaults_match_the_design():
    assert DEFAULTS.reuse_ess_min_soh_pct == 60.0
    assert DEFAULTS.small_application_min_soh_pct == 20.0
    assert DEFAULTS.weakest_cell_min_soh_pct == 20.0
    assert DEFAULTS.nmc_reuse_min_soh_pct == 80.0
    assert DEFAULTS.nmc_max_resistance_ratio == 1.5
    assert DEFAULTS.require_history is True
    assert DEFAULTS.recycle_calendar_expired is True


def test_thresholds_round_trip_through_json():
    rules = Thresholds(reuse_ess_min_soh_pct=65.5, require_history=False, warranty_nmc_reuse_ess="")
    data = rules.to_dict()
    assert set(data) == {f.name for f in dataclasses.fields(Thresholds)}
    assert Thresholds.from_dict(json.loads(json.dumps(data))) == rules


def test_from_dict_fills_missing_keys_with_defaults():
    assert Thresholds.from_dict({}) == DEFAULTS
    assert Thresholds.from_dict({"reuse_ess_min_soh_pct": 70}) == Thresholds(
        reuse_ess_min_soh_pct=70.0
    )


def test_integers_and_decimals_become_floats():
    rules = Thresholds.from_dict({"reuse_ess_min_soh_pct": 70, "nmc_max_resistance_ratio": 1})
    assert type(rules.reuse_ess_min_soh_pct) is float
    assert type(Thresholds(nmc_reuse_min_soh_pct=Decimal("82.5")).nmc_reuse_min_soh_pct) is float


def test_from_dict_names_every_unknown_key():
    with pytest.raises(ValueError, match="unknown threshold keys: colour, reuse_min"):
        Thresholds.from_dict({"reuse_min": 60, "colour": "red", "require_history": True})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("reuse_ess_min_soh_pct", "60"),
        ("reuse_ess_min_soh_pct", None),
        ("reuse_ess_min_soh_pct", True),
        ("reuse_ess_min_soh_pct", [60]),
        ("nmc_max_resistance_ratio", float("nan")),
        ("nmc_max_resistance_ratio", float("inf")),
        ("weakest_cell_min_soh_pct", -1),
        ("require_history", 1),
        ("require_history", "true"),
        ("recycle_calendar_expired", None),
        ("warranty_lfp_reuse_ess", 2),
        ("warranty_small_application", None),
    ],
)
def test_from_dict_rejects_wrong_types_naming_the_key(key, value):
    with pytest.raises(ValueError, match=key):
        Thresholds.from_dict({key: value})


def test_constructor_validates_like_from_dict():
    with pytest.raises(ValueError, match="reuse_ess_min_soh_pct"):
        Thresholds(reuse_ess_min_soh_pct="60")


@pytest.mark.parametrize("data", [None, [], "reuse_ess_min_soh_pct=60"])
def test_from_dict_rejects_non_mappings(data):
    with pytest.raises(ValueError, match="mapping"):
        Thresholds.from_dict(data)


def test_edited_copies_use_their_own_numbers():
    rules = Thresholds()
    assert decide(facts(soh_pct=65.0), rules).route == ROUTE_REUSE_ESS
    stricter = dataclasses.replace(rules, reuse_ess_min_soh_pct=70.0)
    assert decide(facts(soh_pct=65.0), stricter).route == ROUTE_SMALL_APPLICATION
    assert decide(facts(soh_pct=65.0), rules).route == ROUTE_REUSE_ESS


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))]
)
def test_thresholds_survive_copy_and_pickle_after_use(clone):
    rules = Thresholds(reuse_ess_min_soh_pct=70.0)
    decide(facts(), rules)
    cloned = clone(rules)
    assert cloned == rules
    assert decide(facts(soh_pct=65.0), cloned).route == ROUTE_SMALL_APPLICATION
