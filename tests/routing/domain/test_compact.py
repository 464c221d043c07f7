"""Compact decisions: decide() decides and words every pack exactly as the eager engine did, and
the stored form (outcome letters and figures) renders back to exactly those words."""

import dataclasses
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.domain import (
    CHEMISTRIES,
    DEEP_DISCHARGE,
    RULE_NAMES,
    SAFETY_EVENTS,
    PackFacts,
    Thresholds,
    decide,
)
from routing.domain.stored import (
    StoredDecisionError,
    decision_stored,
    stored_checks,
    stored_fired_names,
    stored_from_words,
)
from tests.routing.domain.engine_before import decide as decide_before

soh = st.none() | st.just(float("nan")) | st.floats(min_value=-10.0, max_value=120.0)
ratios = st.none() | st.just(float("nan")) | st.floats(min_value=0.0, max_value=5.0)
sources = st.sampled_from(["", "measured on pack P-3", "in pack B-1, pack SOH 5.0 % (x)"])
events = st.sampled_from([*sorted(SAFETY_EVENTS), DEEP_DISCHARGE, "storage"])
facts = st.builds(
    PackFacts,
    chemistry=st.sampled_from(CHEMISTRIES) | st.sampled_from(["", "lfp", "Na-ion"]) | st.none(),
    soh_pct=soh,
    weakest_cell_soh_pct=soh,
    resistance_ratio=ratios,
    events=st.frozensets(events, max_size=3),
    has_history=st.booleans(),
    calendar_expired=st.booleans(),
    verified=st.booleans(),
    soh_source=sources,
    weakest_cell_source=sources,
)
percent = st.floats(min_value=0.0, max_value=110.0)
thresholds = st.just(Thresholds()) | st.builds(
    Thresholds,
    reuse_ess_min_soh_pct=percent,
    small_application_min_soh_pct=percent,
    weakest_cell_min_soh_pct=percent,
    nmc_reuse_min_soh_pct=percent,
    nmc_max_resistance_ratio=st.floats(min_value=0.0, max_value=5.0),
    require_history=st.booleans(),
    recycle_calendar_expired=st.booleans(),
    warranty_lfp_reuse_ess=st.text(max_size=20),
)


def words(decision) -> dict:
    return {
        "route": decision.route,
        "provisional": decision.provisional,
        "warranty": decision.warranty,
        "rules": [dataclasses.asdict(check) for check in decision.checks],
    }


@given(facts, thresholds)
def test_decide_gives_the_eager_engines_decision_and_words(pack, rules):
    assert decide(pack, rules).to_dict() == words(decide_before(pack, rules))


@given(facts, thresholds)
def test_the_stored_form_renders_the_same_words_after_json(pack, rules):
    decision = decide(pack, rules)
    outcomes, figures = decision_stored(decision)
    stored = json.loads(json.dumps([outcomes, figures], allow_nan=False))
    assert stored_checks(*stored, rules) == decision.checks
    assert [c.to_dict() for c in decision.checks] == words(decide_before(pack, rules))["rules"]


@given(facts, thresholds)
def test_words_stored_before_read_back_into_the_stored_form(pack, rules):
    before = words(decide_before(pack, rules))["rules"]
    read = stored_from_words(before, rules)
    assert read is not None
    assert [c.to_dict() for c in stored_checks(*read, rules)] == before


def test_the_stored_form_is_small():
    decision = decide(PackFacts("LFP", 72.345678, verified=True, soh_source="measured on pack P-3"))
    outcomes, figures = decision_stored(decision)
    assert outcomes == "PPPPPPPE"
    assert figures == ["LFP", None, None, None, None, [None, "", 72.345678, "measured on pack P-3"],
                       None, None]  # fmt: skip
    assert len(json.dumps(figures)) < len(json.dumps(decision.to_dict()["rules"])) / 10


def test_an_infinite_figure_is_stored_as_text_and_read_back():
    decision = decide(PackFacts("NMC", 90.0, resistance_ratio=math.inf, verified=True))
    outcomes, figures = decision_stored(decision)
    assert figures[6] == "inf"
    json.dumps(figures, allow_nan=False)
    assert stored_checks(outcomes, figures, Thresholds()) == decision.checks
    assert "inf x baseline" in decision.checks[6].value


def test_words_that_no_stored_form_renders_are_not_read():
    decision = decide(PackFacts("LFP", 72.0, verified=True))
    edited = decision.to_dict()["rules"]
    edited[7]["explanation"] = "An explanation from some earlier wording."
    assert stored_from_words(edited, Thresholds()) is None
    assert stored_from_words(edited[:7], Thresholds()) is None
    assert stored_from_words([{"name": "x"}] * len(RULE_NAMES), Thresholds()) is None
    # Words are read only under the thresholds they were written with.
    assert stored_from_words(decision.to_dict()["rules"], Thresholds())
    assert (
        stored_from_words(decision.to_dict()["rules"], Thresholds(reuse_ess_min_soh_pct=70)) is None
    )


@pytest.mark.parametrize(
    ("outcomes", "figures", "message"),
    [
        ("PPPPPPP", ["LFP"] + [None] * 7, "8 letters"),
        ("PPPPPPPZ", ["LFP"] + [None] * 7, "capacity-band: no outcome 'Z'"),
        ("PPPPPPPN", ["LFP"] + [None] * 7, "exactly one rule fires"),
        ("PPPFPNNN", ["LFP"] + [None] * 7, "after it wait"),
        ("PPPPPPPE", ["LFP"] * 3, "8 entries"),
        ("PNNNNNNN", ["LFP"] + [None] * 7, "exactly one"),
        ("FNNNNNNN", "LFP", "figures must list"),
        ("PFNNNNNN", ["LFP", ["storage"], *[None] * 6], "without safety events"),
        ("PPPONNNN", ["LFP"] + [None] * 7, "exactly one"),
        ("PPPFNNNN", ["Na-ion"] + [None] * 7, "chemistry-known passed for chemistry 'Na-ion'"),
        ("PPPOPPPE", ["LFP", None, None, "yes", *[None] * 4], "history off needs true or false"),
        ("PPPPPSNN", ["LFP", *[None] * 4, [None, "", 50.0], None, None], "4 figures"),
        ("PPPPPSNN", ["LFP", *[None] * 4, [None, "", "50", ""], None, None], "pack SOH must be"),
        ("PPPPPSNN", ["LFP", *[None] * 4, [None, "", None, ""], None, None], "does not have"),
        ("PPPPPPPE", ["LFP", *[None] * 4, [None, 1, 50.0, ""], None, None], "must be text"),
        ("PPPPPPHN", ["LFP", *[None] * 4, [None, "", 90.0, ""], None, None], "nmc-reuse 'H'"),
        ("PPPPPPPE", ["NMC", *[None] * 4, [None, "", 90.0, ""], None, None], "nmc-reuse 'P'"),
        ("PPPPPPXN", ["NMC", *[None] * 4, [None, "", 90.0, ""], True, None], "resistance ratio"),
    ],
)
def test_a_stored_decision_no_engine_could_give_is_refused_by_name(outcomes, figures, message):
    with pytest.raises(StoredDecisionError, match=message):
        stored_checks(outcomes, figures, Thresholds())


def test_a_decision_built_from_words_has_no_stored_form():
    decision = decide(PackFacts("LFP", 72.0))
    rebuilt = type(decision)(
        decision.route, decision.provisional, decision.warranty, decision.checks
    )
    assert rebuilt == decision
    with pytest.raises(ValueError, match="decide"):
        decision_stored(rebuilt)


@given(facts, thresholds)
def test_the_fired_rule_is_named_from_the_outcome_letters_alone(pack, rules):
    decision = decide(pack, rules)
    assert stored_fired_names(decision.outcomes) == [decision.fired.name]
