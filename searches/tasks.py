"""Celery tasks: thin wrappers, enqueued on commit with ids only."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import search_matches_record


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def match_saved_searches(lot_id: int, event: str) -> int:
    """Tell the buyers whose saved searches lot `lot_id` matches about `event`; returns how
    many matches were new. Running it again (a retry, a redelivery) tells no one twice."""
    return len(search_matches_record(lot_id=lot_id, event=event))
