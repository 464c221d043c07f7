"""Celery tasks: thin wrappers, enqueued on commit with ids only."""

from celery import shared_task

from .documents import documents_orphans_sweep


@shared_task(acks_late=True)
def sweep_orphaned_documents() -> int:
    """Hourly: files of documents whose upload never committed are removed from storage."""
    return documents_orphans_sweep().files_removed
