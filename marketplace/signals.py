"""Signals the apps above marketplace listen to, for facts it cannot tell them by import.

`lot_offer_changed` is sent once the transaction that made the change has committed, never
inside it: a listener (saved searches enqueue their matching task) then sees the committed
lot, and nothing it does can roll the pipeline's change back or hold its locks.

Each announcement is first written to an outbox row (`LotOfferEvent`) in that transaction. A
listener that cannot do its part (the broker is down) raises; the row then stays waiting and
the beat relays it again, so no committed change goes untold. Listeners must be idempotent:
an event may reach them more than once.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone

from suppliers.choices import BROWSABLE_LOT_STATUSES
from suppliers.models import Lot

from .choices import LotEvent
from .models import LotOfferEvent

logger = logging.getLogger(__name__)

# Sent with lot_id (int) and event (LotEvent) after commit.
lot_offer_changed = Signal()


# An event younger than this is left to its own on-commit relay, which is likely under way.
RELAY_GRACE = timedelta(seconds=10)
RELAY_BATCH = 500
# Relayed events are kept this long, for whoever asks what buyers were told and when.
RELAYED_KEPT = timedelta(days=30)


def lot_offer_announce(*, lot_id: int, event: LotEvent) -> None:
    """Record `event` on lot `lot_id` in the current transaction and tell the listeners once
    it commits (at once outside one); a rollback takes the event with it."""
    row = LotOfferEvent.objects.create(lot_id=lot_id, event=LotEvent(event))
    transaction.on_commit(lambda: lot_offer_events_relay(events=[row]))


def lot_offer_events_relay(*, events: Iterable[LotOfferEvent]) -> int:
    """Send each event to the listeners and mark the ones every listener took; returns how
    many were marked. One a listener refused (it raised) stays waiting for the next relay."""
    relayed = []
    for row in events:
        results = lot_offer_changed.send_robust(
            sender=Lot, lot_id=row.lot_id, event=LotEvent(row.event)
        )
        refused = [str(result) for _, result in results if isinstance(result, Exception)]
        if refused:
            logger.warning(
                "lot %s %s not relayed, kept for the next relay: %s",
                row.lot_id,
                row.event,
                "; ".join(refused),
            )
            continue
        relayed.append(row.pk)
    LotOfferEvent.objects.filter(pk__in=relayed, relayed_at__isnull=True).update(
        relayed_at=timezone.now()
    )
    return len(relayed)


def lot_offer_events_waiting() -> QuerySet[LotOfferEvent]:
    """Events not yet relayed and older than their own on-commit relay, oldest first."""
    cutoff = timezone.now() - RELAY_GRACE
    return LotOfferEvent.objects.filter(relayed_at__isnull=True, created_at__lt=cutoff).order_by(
        "created_at", "pk"
    )[:RELAY_BATCH]


def lot_offer_events_relay_waiting() -> int:
    """The beat's relay: what a broker outage kept back is sent, and old relayed rows go."""
    relayed = lot_offer_events_relay(events=list(lot_offer_events_waiting()))
    LotOfferEvent.objects.filter(relayed_at__lt=timezone.now() - RELAYED_KEPT).delete()
    return relayed


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
