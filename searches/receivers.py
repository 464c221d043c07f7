"""The one listener: marketplace announces, after commit, a lot buyers may now browse or a
browsable lot's new route; the matching runs in a task."""

import logging

from kombu.exceptions import OperationalError as BrokerError

from marketplace.choices import LotEvent

from .tasks import match_saved_searches

logger = logging.getLogger(__name__)


def lot_offer_changed_enqueue(sender, *, lot_id: int, event: LotEvent, **kwargs) -> None:
    """Runs after the change committed, in whatever sent it (a web request, a pipeline
    worker): a broker outage is logged, never raised into the committed work."""
    try:
        match_saved_searches.delay(lot_id, str(event))
    except BrokerError:
        logger.warning(
            "broker unreachable: saved searches not matched for lot %s %s", lot_id, event
        )
