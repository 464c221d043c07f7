"""Readiness: can this instance do its work now? The checks behind /readyz.

Each check answers a status and its latency; a failure is logged here with its traceback and
reported by its exception's class name only, since details can name hosts and users.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from kombu import Connection

from verification.selectors import test_record_unsettled_backlog

from . import heartbeat
from .celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_CONNECT_TIMEOUT_S = 1.5
OK = "ok"
EAGER = "eager"  # tasks run in the web process: no broker or worker to wait for
ERROR = "error"
NO_WORKER = "no_worker"
UNKNOWN = "unknown"  # a broker that keeps no heartbeats (not Redis): no opinion
PASSING = {OK, EAGER, UNKNOWN}


@dataclass
class Check:
    status: str
    latency_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passing(self) -> bool:
        return self.status in PASSING

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "latency_ms": round(self.latency_ms, 1), **self.details}


@dataclass
class Readiness:
    checks: dict[str, Check]
    # The upload backlog is reported, never a reason to stop serving.
    critical: tuple[str, ...] = ("database", "broker", "workers")

    @property
    def ready(self) -> bool:
        return all(self.checks[name].passing for name in self.critical)


def _timed(name: str, probe: Callable[[], Check]) -> Check:
    started = time.perf_counter()
    try:
        check = probe()
    except Exception as exc:  # any failure of a dependency means not ready
        logger.warning("readiness check %s failed", name, exc_info=True)
        check = Check(ERROR, details={"error": type(exc).__name__})
    check.latency_ms = (time.perf_counter() - started) * 1000
    return check


def _eager() -> bool:
    return bool(celery_app.conf.task_always_eager)


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check(OK)


def check_broker() -> Check:
    if _eager():
        return Check(EAGER)
    with Connection(celery_app.conf.broker_url, connect_timeout=BROKER_CONNECT_TIMEOUT_S) as broker:
        # One attempt, no retry: a probe answers now, the caller probes again.
        broker.ensure_connection(max_retries=0, interval_start=0, interval_step=0)
        return Check(OK, details={"transport": broker.transport_cls})


def check_workers() -> Check:
    if _eager():
        return Check(EAGER)
    broker_url = celery_app.conf.broker_url or ""
    if not heartbeat.supports(broker_url):
        return Check(UNKNOWN)
    seen = heartbeat.workers_seen(heartbeat.client(broker_url))
    return Check(
        OK if seen else NO_WORKER,
        details={
            "seen": [{"hostname": b.hostname, "last_seen_s": round(b.age_s, 1)} for b in seen],
            "max_age_s": heartbeat.TTL_S,
        },
    )


def check_upload_backlog() -> Check:
    count, oldest_age_s = test_record_unsettled_backlog()
    return Check(
        OK,
        details={
            "unsettled": count,
            "oldest_age_s": None if oldest_age_s is None else round(oldest_age_s, 1),
        },
    )


def readiness() -> Readiness:
    return Readiness(
        {
            "database": _timed("database", check_database),
            "broker": _timed("broker", check_broker),
            "workers": _timed("workers", check_workers),
            "upload_backlog": _timed("upload_backlog", check_upload_backlog),
        }
    )
