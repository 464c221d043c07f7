"""A lot's lifecycle: which status changes are allowed, by which kind of action.

The table is the whole truth; `marketplace.lifecycle.lot_transition` applies it, and nothing else
changes a lot's status. Statuses are the values of `suppliers.choices.LotStatus`.
"""

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    DISCREPANCY = "discrepancy"
    REJECTED = "rejected"
    LISTED = "listed"
    RESERVED = "reserved"
    SOLD = "sold"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"  # the supplier hands a draft to verification
    WITHDRAW = "withdraw"  # the supplier takes the lot off the platform
    RECALL = "recall"  # the supplier takes a submitted lot back to draft, before any data moved it
    PIPELINE = "pipeline"  # test data were verified: the data moved the lot
    SPLIT = "split"  # a sub-lot split off by route takes its parent's status
    APPROVE = "approve"  # an auditor confirms the lot's figures
    REJECT = "reject"  # an auditor rejects the lot's figures


# Only a person decides these; each needs an auditor and a written reason.
AUDITOR_ACTIONS = frozenset({Action.APPROVE, Action.REJECT})
# The statuses the data may move a lot between on its own.
PIPELINE_STATUSES = frozenset({Status.SUBMITTED, Status.VERIFYING, Status.VERIFIED})

_WITHDRAWABLE = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.VERIFYING,
    Status.VERIFIED,
    Status.DISCREPANCY,
    Status.REJECTED,
    Status.LISTED,
)
_REJECTABLE = (
    Status.SUBMITTED,
    Status.VERIFYING,
    Status.VERIFIED,
    Status.DISCREPANCY,
    Status.LISTED,
)


def _table() -> dict[Action, frozenset[tuple[Status, Status]]]:
    pipeline = {(a, b) for a in PIPELINE_STATUSES for b in PIPELINE_STATUSES if a != b}
    # Data may raise a flag on any lot still on offer, never lower one: only a person takes a
    # lot out of discrepancy.
    pipeline |= {(a, Status.DISCREPANCY) for a in (*PIPELINE_STATUSES, Status.LISTED)}
    return {
        Action.SUBMIT: frozenset({(Status.DRAFT, Status.SUBMITTED)}),
        Action.WITHDRAW: frozenset((a, Status.WITHDRAWN) for a in _WITHDRAWABLE),
        # Only from submitted: once data have moved a lot, its claims stand as they were.
        Action.RECALL: frozenset({(Status.SUBMITTED, Status.DRAFT)}),
        Action.PIPELINE: frozenset(pipeline),
        Action.SPLIT: frozenset(
            (Status.DRAFT, b) for b in (*PIPELINE_STATUSES, Status.DISCREPANCY, Status.LISTED)
        ),
        Action.APPROVE: frozenset(
            {(Status.DISCREPANCY, Status.VERIFIED), (Status.REJECTED, Status.VERIFIED)}
        ),
        Action.REJECT: frozenset((a, Status.REJECTED) for a in _REJECTABLE),
    }


TRANSITIONS = _table()


def is_allowed(current: str, target: str, action: str) -> bool:
    """Whether `action` may move a lot from `current` to `target`."""
    try:
        key = (Status(current), Status(target))
        return key in TRANSITIONS[Action(action)]
    except ValueError:
        return False


def refusal(current: str, target: str, action: str) -> str:
    """Why a transition is refused, in words for the person who asked."""
    return f"A lot cannot go from {current} to {target} by {action}."


def review_required_after(*, review_required: bool, target: str, action: str) -> bool:
    """Once a lot had a discrepancy or a person's verdict, new data alone never clears it."""
    return review_required or target == Status.DISCREPANCY or action in AUDITOR_ACTIONS


@dataclass(frozen=True)
class PackEvidence:
    """What the lot's packs say, for the pipeline's status: plain facts."""

    unsettled: bool  # some upload is still waiting or being verified
    any_discrepancy: bool  # a pack's latest measurement contradicts its claim, or is a duplicate
    sample_confirmed: bool  # enough packs measured (the plan's sample), every claim confirmed
    new_discrepancy: bool = False  # the verification that just finished contradicts its claim
    any_measured: bool = False  # some pack already carries a measurement, short of the sample


def pipeline_target(*, current: str, review_required: bool, evidence: PackEvidence) -> str:
    """The status the data put a lot in; `current` when the data may not move it.

    A lot under review keeps the status a person (or an earlier discrepancy) gave it: new data
    can only send it back to the auditors, when it contradicts a claim.
    """
    if current not in PIPELINE_STATUSES and current not in (Status.DISCREPANCY, Status.LISTED):
        return current
    if review_required or current == Status.LISTED:
        if evidence.new_discrepancy and current != Status.DISCREPANCY:
            return Status.DISCREPANCY
        return current
    if current == Status.DISCREPANCY:
        return current
    # A contradicted claim goes to the auditors at once, even with other uploads still waiting:
    # otherwise a later, agreeing file could clear it before anyone looked.
    if evidence.any_discrepancy or evidence.new_discrepancy:
        return Status.DISCREPANCY
    if evidence.unsettled:
        return Status.VERIFYING
    if evidence.sample_confirmed:
        return Status.VERIFIED
    # Measured packs short of the sampling plan (or on a model awaiting approval): the lot is
    # still verifying, and its page says how many more packs need a test.
    if evidence.any_measured:
        return Status.VERIFYING
    return Status.SUBMITTED
