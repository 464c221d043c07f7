"""Celery tasks: thin wrappers, enqueued on commit with ids only."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .notifications import notifications_email


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def email_notifications(notification_ids: list[int]) -> int:
    return notifications_email(notification_ids=notification_ids)
