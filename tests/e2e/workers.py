"""Real Celery processes for tests and benchmarks, on the test database and a Redis broker:
a worker for the pipeline tests (`running_worker`), and for fault tests and the recovery
benchmark the topology of docker-compose.yml as plain processes: a Redis of their own (stopped
and started at will, its data kept on disk), a prefork worker (`-c 1`) whose pool process can
be SIGKILLed, and beat (the outbox relay)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def database_url(application_name: str = "") -> str:
    """The test database as a URL, for a process that reads DATABASE_URL; its sessions carry
    `application_name` (fault tests end those, and only those)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        # SQLite's in-memory test database cannot be shared with another process: a worker on
        # it can beat but runs no task that reads the database (those tests need PostgreSQL).
        return "sqlite://:memory:"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"{url}?application_name={application_name}" if application_name else url


@contextmanager
def running_worker(
    broker_url: str, log: Path, *, pool: str = "solo", concurrency: int = 1
) -> Iterator[subprocess.Popen]:
    """A worker process consuming from broker_url, and this process sending to it (eager mode
    off) until the block ends; the worker's output goes to log."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool,
             "--concurrency", str(concurrency), "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker_url
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def use_broker(url: str, *, eager: bool) -> None:
    """Point this process's producer (the web side) at a broker."""
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = url
    celery_app.conf.task_always_eager = eager
    # Both pools are bound to the broker they first connected to (kombu keeps them, per URL,
    # for the next test on that broker).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout_s: float, interval_s: float = 0.05, what: str) -> float:
    """Poll until `predicate()` is true; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval_s)
    raise TimeoutError(f"{what}: not within {timeout_s} s")


@dataclass
class RedisServer:
    """redis-server on a free port with appendonly on, so queued messages survive a restart."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--dir", str(self.directory)],
            stdout=(self.directory / "redis.log").open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(self.answers, timeout_s=20, what="redis-server start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            self.process.wait(timeout=20)
        self.process = None


@dataclass
class CeleryProcess:
    """A `celery -A config ...` process on the given database and broker."""

    env: dict
    log: Path
    process: subprocess.Popen | None = None

    def spawn(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments],
            cwd=ROOT, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Beat(CeleryProcess):
    def start(self) -> None:
        self.spawn("beat", "--loglevel", "INFO", "--schedule", str(self.log.with_suffix(".db")))


class PreforkWorker(CeleryProcess):
    """`celery worker --pool prefork -c 1`: one pool process, replaced when it dies."""

    def start(self) -> None:
        self.spawn("worker", "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO",
                   "--without-gossip", "--without-mingle")  # fmt: skip
        wait_for(lambda: "ready." in self.log.read_text(), timeout_s=60, what="worker start")

    def pool_children(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                children.append(int(entry.name))
        return children

    def kill_pool_child(self) -> int:
        """SIGKILL the pool process, as the OOM killer would; returns its pid."""
        pids = self.pool_children()
        if len(pids) != 1:
            raise RuntimeError(f"expected one pool process, found {pids}")
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]
