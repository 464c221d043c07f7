"""Worker heartbeats in the broker's Redis: what /readyz reads as "a worker was seen recently".

Each worker process writes `heartbeat:worker:<hostname>` = unix time, with a TTL, every
INTERVAL_S seconds while its consumer is connected; a worker that stops cleanly deletes its key,
one that dies lets it expire. The web app only reads keys (one SCAN and one MGET), so readiness
costs no round trip through the workers, unlike `celery inspect ping`, which waits for replies.

The writer is a thread started by a consumer bootstep rather than a timer on the worker's event
loop: with the solo pool a task runs on that loop, and a verification may take up to its time
limit (minutes), during which a timer would not fire and a busy worker would read as gone. The
step sits on the consumer, so it starts once the broker connection is up and stops when the
consumer loses it (Celery restarts the consumer's steps on reconnect).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import redis
from celery import bootsteps

logger = logging.getLogger(__name__)

KEY_PREFIX = "heartbeat:worker:"
INTERVAL_S = 10.0
# Several missed beats before a worker counts as gone: a slow Redis write is no outage.
TTL_S = 60
SOCKET_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class WorkerBeat:
    hostname: str
    age_s: float


def supports(broker_url: str) -> bool:
    """Heartbeats live in the broker itself, which must then be Redis."""
    return broker_url.startswith(("redis://", "rediss://"))


def client(broker_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        broker_url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S
    )


def beat(connection: redis.Redis, hostname: str, *, now: float | None = None) -> None:
    connection.set(f"{KEY_PREFIX}{hostname}", repr(time.time() if now is None else now), ex=TTL_S)


def forget(connection: redis.Redis, hostname: str) -> None:
    connection.delete(f"{KEY_PREFIX}{hostname}")


def workers_seen(connection: redis.Redis, *, now: float | None = None) -> list[WorkerBeat]:
    """The workers whose heartbeat has not expired, most recent first."""
    keys = sorted(connection.scan_iter(match=f"{KEY_PREFIX}*", count=100))
    if not keys:
        return []
    now = time.time() if now is None else now
    seen = []
    for key, value in zip(keys, connection.mget(keys), strict=True):
        if value is None:  # expired between SCAN and MGET
            continue
        try:
            at = float(value)
        except ValueError:
            continue
        seen.append(WorkerBeat(key.decode()[len(KEY_PREFIX) :], max(0.0, now - at)))
    return sorted(seen, key=lambda b: b.age_s)


class HeartbeatStep(bootsteps.StartStopStep):
    """Registered on the consumer blueprint in config/celery.py."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._redis: redis.Redis | None = None
        self._hostname = ""

    def start(self, parent) -> None:
        broker_url = parent.app.conf.broker_url or ""
        if not supports(broker_url):
            logger.info("worker heartbeat off: the broker is not Redis")
            return
        self._hostname = parent.hostname
        self._redis = client(broker_url)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                beat(self._redis, self._hostname)
            except redis.RedisError:
                # The consumer sees the same outage and reconnects; readiness shows it meanwhile.
                logger.warning("worker heartbeat not written", exc_info=True)
            if self._stopping.wait(INTERVAL_S):
                return

    def stop(self, parent) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join(timeout=SOCKET_TIMEOUT_S * 2)
        self._thread = None
        try:
            forget(self._redis, self._hostname)
        except redis.RedisError:
            logger.warning("worker heartbeat not removed; it expires in %s s", TTL_S)

    def shutdown(self, parent) -> None:
        self.stop(parent)
