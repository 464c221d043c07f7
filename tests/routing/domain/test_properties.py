"""Properties that must hold for every pack and every valid rule set, not just the examples."""

import dataclasses
import json

from hypothesis import assume, given
from hypothesis import strategies as st

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
    PackFacts,
    Thresholds,
    decide,
)

REUSE_ROUTES = {ROUTE_REUSE_ESS, ROUTE_SMALL_APPLICATION}

soh_values = st.floats(min_value=-10.0, max_value=120.0, allow_nan=False)
optional_soh = st.none() | st.just(float("nan")) | soh_values
ratios = st.none() | st.floats(min_value=0.0, max_value=5.0, allow_nan=False)
chemistries = st.sampled_from(CHEMISTRIES) | st.sampled_from(["", "lfp", "Na-ion"])
event_names = st.sampled_from([*sorted(SAFETY_EVENTS), DEEP_DISCHARGE, "storage", "repair"])


@st.composite
def pack_facts(draw, soh=optional_soh, chemistry=chemistries):
    return PackFacts(
        chemistry=draw(chemistry),
        soh_pct=draw(soh),
        weakest_cell_soh_pct=draw(optional_soh),
        resistance_ratio=draw(ratios),
        events=draw(st.frozensets(event_names, max_size=3)),
        has_history=draw(st.booleans()),
        calendar_expired=draw(st.booleans()),
        verified=draw(st.booleans()),
    )


percent = st.floats(min_value=0.0, max_value=110.0, allow_nan=False)
thresholds = st.builds(
    Thresholds,
    reuse_ess_min_soh_pct=percent,
    small_application_min_soh_pct=percent,
    weakest_cell_min_soh_pct=percent,
    nmc_reuse_min_soh_pct=percent,
    nmc_max_resistance_ratio=st.floats(min_value=0.0, max_value=5.0, allow_nan=False),
    require_history=st.booleans(),
    recycle_calendar_expired=st.booleans(),
    warranty_lfp_reuse_ess=st.text(max_size=40),
    warranty_nmc_reuse_ess=st.text(max_size=40),
    warranty_small_application=st.text(max_size=40),
)
any_thresholds = st.just(Thresholds()) | thresholds


@given(pack_facts(), any_thresholds)
def test_every_pack_gets_exactly_one_route_with_every_rule_recorded(facts, rules):
    decision = decide(facts, rules)
    assert decision.route in ROUTES
    assert tuple(c.name for c in decision.checks) == RULE_NAMES
    outcomes = [c.outcome for c in decision.checks]
    assert outcomes.count(OUTCOME_FIRED) == 1
    at = outcomes.index(OUTCOME_FIRED)
    assert set(outcomes[:at]) <= {OUTCOME_PASSED, OUTCOME_OFF}
    assert set(outcomes[at + 1 :]) <= {OUTCOME_NOT_REACHED}
    assert decision.reasons == [decision.checks[at].explanation]
    assert decision.provisional is (not facts.verified)


@given(pack_facts(), any_thresholds)
def test_warranty_comes_only_with_a_reuse_route(facts, rules):
    decision = decide(facts, rules)
    if decision.route in (ROUTE_RECYCLE, ROUTE_HOLD):
        assert decision.warranty == ""
    elif decision.route == ROUTE_SMALL_APPLICATION:
        assert decision.warranty == rules.warranty_small_application
    elif facts.chemistry in ("NMC", "NCA"):
        assert decision.warranty == rules.warranty_nmc_reuse_ess
    else:
        assert decision.warranty == rules.warranty_lfp_reuse_ess


@given(pack_facts(), any_thresholds)
def test_decision_to_dict_is_json_ready(facts, rules):
    data = decide(facts, rules).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert len(data["rules"]) == len(RULE_NAMES)


@given(
    pack_facts(soh=soh_values, chemistry=st.sampled_from(CHEMISTRIES)), soh_values, any_thresholds
)
def test_raising_soh_never_gives_a_worse_route(facts, higher_soh, rules):
    assume(higher_soh > facts.soh_pct)
    lower = decide(facts, rules).route
    higher = decide(dataclasses.replace(facts, soh_pct=higher_soh), rules).route
    # hold is incomparable: it means "an auditor decides", not better or worse.
    if lower == ROUTE_REUSE_ESS:
        assert higher == ROUTE_REUSE_ESS
    if lower == ROUTE_SMALL_APPLICATION:
        assert higher in (ROUTE_SMALL_APPLICATION, ROUTE_REUSE_ESS, ROUTE_HOLD)


@given(pack_facts(), st.sampled_from(sorted(SAFETY_EVENTS)), any_thresholds)
def test_a_safety_event_never_allows_reuse(facts, event, rules):
    facts = dataclasses.replace(facts, events=facts.events | {event})
    assert decide(facts, rules).route not in REUSE_ROUTES


@given(pack_facts(), any_thresholds)
def test_unknown_chemistry_never_allows_reuse(facts, rules):
    facts = dataclasses.replace(facts, chemistry="unknown")
    assert decide(facts, rules).route == ROUTE_HOLD


@given(pack_facts(), any_thresholds)
def test_deep_discharge_never_allows_reuse(facts, rules):
    facts = dataclasses.replace(facts, events=facts.events | {DEEP_DISCHARGE})
    assert decide(facts, rules).route not in REUSE_ROUTES


@given(pack_facts(), any_thresholds)
def test_switched_on_standards_rules_never_allow_reuse(facts, rules):
    strict = dataclasses.replace(rules, require_history=True, recycle_calendar_expired=True)
    no_history = dataclasses.replace(facts, has_history=False)
    expired = dataclasses.replace(facts, calendar_expired=True)
    assert decide(no_history, strict).route not in REUSE_ROUTES
    assert decide(expired, strict).route not in REUSE_ROUTES


@given(pack_facts(), any_thresholds)
def test_verification_changes_only_provisional_and_wording(facts, rules):
    measured = decide(dataclasses.replace(facts, verified=True), rules)
    claimed = decide(dataclasses.replace(facts, verified=False), rules)
    assert measured.route == claimed.route
    assert measured.warranty == claimed.warranty
    assert [c.outcome for c in measured.checks] == [c.outcome for c in claimed.checks]


@given(pack_facts(), any_thresholds)
def test_missing_pack_soh_is_never_routed_to_reuse(facts, rules):
    facts = dataclasses.replace(facts, soh_pct=None)
    assert decide(facts, rules).route not in REUSE_ROUTES


@given(thresholds)
def test_thresholds_round_trip(rules):
    assert Thresholds.from_dict(json.loads(json.dumps(rules.to_dict()))) == rules
