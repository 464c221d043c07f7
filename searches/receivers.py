"""The one listener: marketplace announces, after commit, a lot buyers may now browse or a
browsable lot's new route; the matching runs in a task."""

from marketplace.choices import LotEvent

from .tasks import match_saved_searches


def lot_offer_changed_enqueue(sender, *, lot_id: int, event: LotEvent, **kwargs) -> None:
    """Runs after the change committed, in whatever sent it (a web request, a pipeline
    worker). A broker outage raises: marketplace's outbox keeps the event, never raising
    into the committed work, and its relay sends it here again once the broker is back."""
    match_saved_searches.delay(lot_id, str(event))
