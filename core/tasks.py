from celery import shared_task

from .idempotency import idempotency_keys_purge


@shared_task
def purge_idempotency_keys() -> int:
    """Keys live a day (core.idempotency.KEY_LIFETIME); beat runs this hourly."""
    return idempotency_keys_purge()
