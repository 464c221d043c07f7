"""Celery tasks: thin wrappers around the lot pipeline, enqueued on commit with ids only."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from verification.selectors import test_record_ids_stale, test_record_ids_unqueued
from verification.services import test_data_orphans_sweep, test_record_mark_queued

from .pack_import import held_imports_sweep
from .pipeline import reroute_job_run, test_record_give_up, test_record_verify
from .scorecards import scorecards_refresh_all
from .signals import lot_offer_events_relay_waiting

logger = logging.getLogger(__name__)

# Worth another try: the database or the file storage was briefly unreachable. Bad data is
# never retried; the pipeline stores it as a clear error instead of raising.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, DatabaseError, OSError)
MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def verify_test_record(self, test_record_id: int) -> None:
    try:
        test_record_verify(
            test_record_id=test_record_id,
            claim_token=self.request.id or "",
            attempt=self.request.retries,
        )
    except SoftTimeLimitExceeded:
        logger.warning("verification of test record %s ran past its time limit", test_record_id)
        test_record_give_up(
            test_record_id=test_record_id,
            message=f"Reading this file took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s, "
            "the limit for one verification; it was not retried. Split the export into smaller "
            "files, or ask an auditor to re-run it.",
        )
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


def verification_enqueue(test_record_id: int) -> bool:
    """Hand an upload's verification to the broker; False when the broker is unreachable.

    The upload is stored either way: a record the broker never took stays in the outbox
    (pending, `queued_at` empty) and the relay sends it once the broker is back, so an upload
    during a broker outage answers 201, not 500."""
    try:
        verify_test_record.delay(test_record_id)
    except BrokerError:
        logger.warning("broker unreachable: test record %s waits in the outbox", test_record_id)
        return False
    test_record_mark_queued(test_record_id=test_record_id)
    return True


@shared_task(acks_late=True)
def relay_unqueued_test_records() -> int:
    """The outbox relay (beat, every few seconds): send what the broker never took."""
    sent = 0
    for test_record_id in test_record_ids_unqueued():
        if not verification_enqueue(test_record_id):
            break
        sent += 1
    return sent


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def relay_lot_offer_events() -> int:
    """The outbox relay for buyers' news (beat): lots newly verified or re-routed while the
    broker was unreachable are matched against saved searches once it is back."""
    return lot_offer_events_relay_waiting()


@shared_task(acks_late=True)
def requeue_stale_test_records() -> int:
    """Enqueue again the uploads that have waited too long; the run row keeps this idempotent."""
    ids = test_record_ids_stale()
    for test_record_id in ids:
        verify_test_record.delay(test_record_id)
    return len(ids)


@shared_task(acks_late=True)
def sweep_orphaned_test_data() -> int:
    """Hourly: files of uploads that never committed are removed from storage."""
    return test_data_orphans_sweep().files_removed


@shared_task(acks_late=True)
def sweep_held_pack_imports() -> int:
    """Hourly: pack-import uploads previewed and never confirmed, once a day old."""
    return held_imports_sweep().files_removed


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def reroute_lots(job_id: int) -> None:
    reroute_job_run(job_id=job_id, chunk_size=settings.REROUTE_CHUNK_LOTS)


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def refresh_scorecards() -> int:
    """Hourly: every supplier's scorecard recomputed (pages also recompute a stale one)."""
    return scorecards_refresh_all()
