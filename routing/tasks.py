from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .services import reroute_job_run


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def reroute_lots(job_id: int) -> None:
    reroute_job_run(job_id=job_id, chunk_size=settings.REROUTE_CHUNK_LOTS)
