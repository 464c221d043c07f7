"""Celery tasks: thin wrappers, enqueued on commit with ids only."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.files import storage_orphans_sweep

from .models import AnswerFile
from .notifications import notifications_email


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def email_notifications(notification_ids: list[int]) -> int:
    return notifications_email(notification_ids=notification_ids)


@shared_task(acks_late=True)
def sweep_orphaned_answer_files() -> int:
    """Hourly: files of answers that never committed are removed from storage."""
    return storage_orphans_sweep(model=AnswerFile, field="file", directory="answers").files_removed
