"""The lot lifecycle's table, pair by pair: every (from, to, action) is allowed or refused here
exactly as written, so a change to the table is a change to this specification too."""

import itertools

import pytest

from marketplace.domain.lifecycle import (
    AUDITOR_ACTIONS,
    TRANSITIONS,
    Action,
    PackEvidence,
    Status,
    is_allowed,
    pipeline_target,
    review_required_after,
)
from routing.domain.sampling import sample_confirmed

S = Status
# Every allowed transition, by action; everything else is refused.
ALLOWED = {
    Action.SUBMIT: {(S.DRAFT, S.SUBMITTED)},
    Action.WITHDRAW: {
        (S.DRAFT, S.WITHDRAWN),
        (S.SUBMITTED, S.WITHDRAWN),
        (S.VERIFYING, S.WITHDRAWN),
        (S.VERIFIED, S.WITHDRAWN),
        (S.DISCREPANCY, S.WITHDRAWN),
        (S.REJECTED, S.WITHDRAWN),
        (S.LISTED, S.WITHDRAWN),
    },
    Action.RECALL: {(S.SUBMITTED, S.DRAFT)},
    Action.PIPELINE: {
        (S.SUBMITTED, S.VERIFYING),
        (S.SUBMITTED, S.VERIFIED),
        (S.SUBMITTED, S.DISCREPANCY),
        (S.VERIFYING, S.SUBMITTED),
        (S.VERIFYING, S.VERIFIED),
        (S.VERIFYING, S.DISCREPANCY),
        (S.VERIFIED, S.SUBMITTED),
        (S.VERIFIED, S.VERIFYING),
        (S.VERIFIED, S.DISCREPANCY),
        (S.LISTED, S.DISCREPANCY),
    },
    Action.SPLIT: {
        (S.DRAFT, S.SUBMITTED),
        (S.DRAFT, S.VERIFYING),
        (S.DRAFT, S.VERIFIED),
        (S.DRAFT, S.DISCREPANCY),
        (S.DRAFT, S.LISTED),
    },
    Action.APPROVE: {(S.DISCREPANCY, S.VERIFIED), (S.REJECTED, S.VERIFIED)},
    Action.REJECT: {
        (S.SUBMITTED, S.REJECTED),
        (S.VERIFYING, S.REJECTED),
        (S.VERIFIED, S.REJECTED),
        (S.DISCREPANCY, S.REJECTED),
        (S.LISTED, S.REJECTED),
    },
}
CASES = list(itertools.product(Status, Status, Action))


@pytest.mark.parametrize(("current", "target", "action"), CASES)
def test_every_pair_is_allowed_or_refused_as_specified(current, target, action):
    assert is_allowed(current, target, action) == ((current, target) in ALLOWED[action])


def test_the_specification_covers_the_whole_table():
    assert set(TRANSITIONS) == set(Action)
    assert {a: set(pairs) for a, pairs in TRANSITIONS.items()} == ALLOWED


def test_no_action_stays_put_and_nothing_leaves_a_sale_or_a_withdrawal():
    for current, target, action in CASES:
        if current == target or current in (S.SOLD, S.WITHDRAWN):
            assert not is_allowed(current, target, action)


def test_data_never_take_a_lot_out_of_discrepancy_or_rejection():
    for target in Status:
        assert not is_allowed(S.DISCREPANCY, target, Action.PIPELINE)
        assert not is_allowed(S.REJECTED, target, Action.PIPELINE)


def test_unknown_values_are_refused():
    assert not is_allowed("draft", "submitted", "teleport")
    assert not is_allowed("limbo", "submitted", "submit")


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("target", list(Status))
def test_review_flag_is_set_by_a_discrepancy_or_a_person_and_never_cleared(action, target):
    expected = target == S.DISCREPANCY or action in AUDITOR_ACTIONS
    assert review_required_after(review_required=False, target=target, action=action) == expected
    assert review_required_after(review_required=True, target=target, action=action) is True


def evidence(**overrides) -> PackEvidence:
    fields = {"unsettled": False, "any_discrepancy": False, "sample_confirmed": False}
    return PackEvidence(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"unsettled": True}, S.VERIFYING),
        ({"unsettled": True, "any_discrepancy": True}, S.DISCREPANCY),
        ({"unsettled": True, "new_discrepancy": True}, S.DISCREPANCY),
        ({"any_discrepancy": True}, S.DISCREPANCY),
        ({"any_discrepancy": True, "sample_confirmed": True}, S.DISCREPANCY),
        ({"sample_confirmed": True}, S.VERIFIED),
        ({"sample_confirmed": True, "any_measured": True}, S.VERIFIED),
        # Measured packs short of the sampling plan: still verifying, never verified.
        ({"any_measured": True}, S.VERIFYING),
        ({"any_measured": True, "any_discrepancy": True}, S.DISCREPANCY),
        ({}, S.SUBMITTED),
    ],
)
@pytest.mark.parametrize("current", [S.SUBMITTED, S.VERIFYING, S.VERIFIED])
def test_the_pipeline_follows_the_data_while_no_one_has_judged(current, fields, expected):
    target = pipeline_target(current=current, review_required=False, evidence=evidence(**fields))
    assert target == expected
    assert target == current or is_allowed(current, target, Action.PIPELINE)


@pytest.mark.parametrize("current", [S.VERIFIED, S.DISCREPANCY, S.REJECTED, S.LISTED])
def test_a_judged_lot_keeps_its_status_when_new_data_agree(current):
    agreeing = evidence(sample_confirmed=True)
    assert pipeline_target(current=current, review_required=True, evidence=agreeing) == current


@pytest.mark.parametrize("current", [S.VERIFIED, S.LISTED])
def test_new_contradicting_data_send_a_judged_lot_back_to_the_auditors(current):
    contradicting = evidence(any_discrepancy=True, new_discrepancy=True)
    target = pipeline_target(current=current, review_required=True, evidence=contradicting)
    assert target == S.DISCREPANCY
    # An old discrepancy an auditor has already weighed does not reopen the verdict by itself.
    old = evidence(any_discrepancy=True)
    assert pipeline_target(current=current, review_required=True, evidence=old) == current


@pytest.mark.parametrize("current", [S.DRAFT, S.REJECTED, S.RESERVED, S.SOLD, S.WITHDRAWN])
def test_the_pipeline_leaves_lots_outside_its_statuses_alone(current):
    for fields in ({"unsettled": True}, {"any_discrepancy": True, "new_discrepancy": True}):
        for review in (False, True):
            got = pipeline_target(
                current=current, review_required=review, evidence=evidence(**fields)
            )
            assert got == current


@pytest.mark.parametrize("required", range(0, 6))
@pytest.mark.parametrize("measured", range(0, 6))
@pytest.mark.parametrize("confirmed", range(0, 6))
def test_the_sample_is_met_only_by_enough_confirmed_packs_and_no_other_measured(
    required, measured, confirmed
):
    if confirmed > measured:
        return
    met = sample_confirmed(measured=measured, confirmed=confirmed, required=required)
    assert met == (required > 0 and confirmed >= required and confirmed == measured)
