"""The one place a lot's status changes.

`lot_transition` applies the table in `marketplace.domain.lifecycle` by compare-and-set on the
old status, and appends the audit entry in the same transaction. Submitting, the pipeline's
outcome, splitting, withdrawing and auditors' decisions all come through here.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import ApplicationError
from suppliers.models import Lot, Pack
from suppliers.selectors import is_auditor, lot_can_commit, lot_can_manage

from .domain.lifecycle import (
    AUDITOR_ACTIONS,
    Action,
    Status,
    is_allowed,
    refusal,
    review_required_after,
)
from .listing_cache import listing_changed
from .signals import lot_offer_status_changed

SUPPLIER_ACTIONS = frozenset({Action.SUBMIT, Action.WITHDRAW, Action.RECALL})


def lot_scope(lot_id: int) -> str:
    """The audit scope that gathers a lot's trail."""
    return f"lot:{lot_id}"


def _check_actor(*, lot: Lot, action: Action, actor: AbstractBaseUser | None, reason: str) -> None:
    if action in AUDITOR_ACTIONS:
        if actor is None or not is_auditor(actor):
            raise ApplicationError("Only auditors decide a lot's verdict.")
        if not reason.strip():
            raise ApplicationError("An auditor's decision needs a written reason.", field="reason")
    if action in SUPPLIER_ACTIONS:
        if actor is None or not lot_can_manage(user=actor, lot=lot):
            raise ApplicationError(f"Only the supplier of this lot can {action} it.")
        if not lot_can_commit(user=actor, lot=lot):
            raise ApplicationError(
                f"Only an administrator of {lot.supplier.name} can {action} a lot; ask one of "
                "them, or ask to be made one."
            )


def lot_transition(
    *,
    lot: Lot,
    to: str,
    action: Action,
    actor: AbstractBaseUser | None,
    reason: str = "",
    carry_review_required: bool = False,
) -> Lot:
    """Move `lot` to status `to` by `action`, or refuse with an ApplicationError.

    `actor` is the person who asked (None: the pipeline, moved by data). The status is
    compared-and-set, so two concurrent transitions from the same status cannot both win.
    `carry_review_required` lets a sub-lot keep its parent's review flag when it is split off.
    """
    current = lot.status
    if not is_allowed(current, to, action):
        raise ApplicationError(refusal(current, to, action))
    _check_actor(lot=lot, action=action, actor=actor, reason=reason)
    review_required = review_required_after(
        review_required=lot.review_required or carry_review_required, target=to, action=action
    )
    with transaction.atomic():
        # The flag is compared too: a stale copy must not clear a review a person asked for.
        updated = Lot.objects.filter(
            pk=lot.pk, status=current, review_required=lot.review_required
        ).update(status=to, review_required=review_required, updated_at=timezone.now())
        if not updated:
            raise ApplicationError(
                f"Lot {lot.reference} changed meanwhile; it is no longer {current}. Reload it."
            )
        listing_changed()
        if to == Status.WITHDRAWN:
            # A withdrawn lot's serials are free to be listed again (by a custody transfer).
            Pack.objects.filter(lot_id=lot.pk).update(live=False)
        audit_record(
            actor=actor,
            action="lot.transition",
            object_type="lot",
            object_id=lot.pk,
            before={"status": current, "review_required": lot.review_required},
            after={"status": to, "review_required": review_required, "by": str(action)},
            reason=reason,
            scope=lot_scope(lot.pk),
        )
        lot_offer_status_changed(lot_id=lot.pk, before=current, after=to)
    lot.status = to
    lot.review_required = review_required
    return lot
