"""Signals the apps above marketplace listen to, for facts it cannot tell them by import.

`lot_offer_changed` is sent once the transaction that made the change has committed, never
inside it: a listener (saved searches enqueue their matching task) then sees the committed
lot, and nothing it does can roll the pipeline's change back or hold its locks.
"""

from django.db import transaction
from django.dispatch import Signal

from suppliers.choices import BROWSABLE_LOT_STATUSES
from suppliers.models import Lot

from .choices import LotEvent

# Sent with lot_id (int) and event (LotEvent) after commit.
lot_offer_changed = Signal()


def lot_offer_announce(*, lot_id: int, event: LotEvent) -> None:
    """Tell the listeners about `event` on lot `lot_id` once the current transaction commits
    (at once outside one)."""
    transaction.on_commit(
        lambda: lot_offer_changed.send(sender=Lot, lot_id=lot_id, event=LotEvent(event))
    )


def lot_offer_status_changed(*, lot_id: int, before: str, after: str) -> None:
    """A lot that buyers could not browse and now can is newly verified (or listed) supply."""
    if after in BROWSABLE_LOT_STATUSES and before not in BROWSABLE_LOT_STATUSES:
        lot_offer_announce(lot_id=lot_id, event=LotEvent.VERIFIED)


def lot_offer_route_changed(
    *,
    lot_id: int,
    status_before: str,
    status_after: str,
    route_before: str | None,
    route_after: str,
) -> None:
    """A new route on a lot buyers browse before and after the change is a re-route. A lot's
    first route, or the route it is listed with, comes with its verification, announced by
    its status."""
    browsable = status_before in BROWSABLE_LOT_STATUSES and status_after in BROWSABLE_LOT_STATUSES
    if browsable and route_before and route_before != route_after:
        lot_offer_announce(lot_id=lot_id, event=LotEvent.REROUTED)
