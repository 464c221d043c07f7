"""Celery tasks: thin wrappers around the lot pipeline, enqueued on commit with ids only."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from verification.selectors import test_record_ids_stale

from .pipeline import reroute_job_run, test_record_give_up, test_record_verify

logger = logging.getLogger(__name__)

# Worth another try: the database or the file storage was briefly unreachable. Bad data is
# never retried; the pipeline stores it as a clear error instead of raising.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, DatabaseError, OSError)
MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def verify_test_record(self, test_record_id: int) -> None:
    try:
        test_record_verify(test_record_id=test_record_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            logger.exception("giving up on test record %s", test_record_id)
            test_record_give_up(
                test_record_id=test_record_id,
                message=f"Verification could not run after {MAX_RETRIES + 1} attempts ({exc}). "
                "An auditor can re-run it (admin: Test records, Re-run verification).",
            )
            return
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from exc
    except Exception:
        # A fault of ours, not of the file and not passing: retrying would repeat it, and
        # leaving the record "processing" would have the beat re-queue it forever.
        logger.exception("verification of test record %s failed unexpectedly", test_record_id)
        test_record_give_up(
            test_record_id=test_record_id,
            message="Verification stopped on an internal error, which has been logged for the "
            "platform team; it was not retried. An auditor can re-run it once it is fixed "
            "(admin: Test records, Re-run verification).",
        )


@shared_task(acks_late=True)
def requeue_stale_test_records() -> int:
    """Enqueue again the uploads that have waited too long; the run row keeps this idempotent."""
    ids = test_record_ids_stale()
    for test_record_id in ids:
        verify_test_record.delay(test_record_id)
    return len(ids)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def reroute_lots(job_id: int) -> None:
    reroute_job_run(job_id=job_id, chunk_size=settings.REROUTE_CHUNK_LOTS)
