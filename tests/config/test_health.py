"""Liveness (/healthz), readiness (/readyz) and the worker heartbeats readiness reads."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client, override_settings
from django.utils import timezone

from config import heartbeat
from config.celery import app as celery_app
from tests.e2e.workers import running_worker
from tests.factories import PackFactory
from verification.choices import TestRecordStatus
from verification.models import TestRecord

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "readyz-token-for-tests-0123456789"
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
# What a driver may put in an exception: none of it may reach a response body.
SECRET_ERROR = "connection to server at db.internal (10.9.8.7) failed: password=hunter2"


def details(client: Client, **headers) -> dict:
    return client.get("/readyz", headers={"authorization": f"Bearer {TOKEN}", **headers}).json()


@contextmanager
def broker(url: str):
    """This process sends to url (eager mode off), as a web process in production does.
    Celery reads CELERY_BROKER_URL from the environment before its own setting."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, url
    try:
        with mock.patch.dict(os.environ, {"CELERY_BROKER_URL": url}):
            assert celery_app.conf.broker_url == url
            yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved


@contextmanager
def database_down():
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError(SECRET_ERROR)):
        yield


def record(status: str, *, age: timedelta) -> TestRecord:
    made = TestRecord.objects.create(
        pack=PackFactory(),
        file="test-data/x.csv",
        original_name="x.csv",
        sha256="0" * 64,
        size_bytes=1,
        status=status,
    )
    TestRecord.objects.filter(pk=made.pk).update(uploaded_at=timezone.now() - age)
    return made


# Liveness


@pytest.mark.django_db
def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_stays_up_while_the_database_is_down(client):
    """An outage of the database must not get healthy web containers restarted."""
    with database_down():
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


# Readiness, embedded default (eager: no broker, no worker)


@pytest.mark.django_db
def test_readyz_anonymous_gets_the_status_only(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_details_for_staff(client, audrey, bianca):
    client.force_login(bianca)
    assert client.get("/readyz").json() == {"status": "ok"}  # a buyer is no operator
    client.force_login(audrey)
    checks = client.get("/readyz").json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["broker"]["status"] == "eager"
    assert checks["workers"]["status"] == "eager"
    assert all(isinstance(c["latency_ms"], float) for c in checks.values())
    assert checks["upload_backlog"] == {
        "status": "ok",
        "latency_ms": checks["upload_backlog"]["latency_ms"],
        "unsettled": 0,
        "oldest_age_s": None,
    }


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_details_for_the_token_only(client):
    assert "checks" in details(client)
    wrong = client.get("/readyz", headers={"authorization": f"Bearer {TOKEN}x"})
    assert wrong.json() == {"status": "ok"}
    with override_settings(READYZ_TOKEN=""):
        # No token configured: an empty bearer must not match it.
        assert client.get("/readyz", headers={"authorization": "Bearer "}).json() == {
            "status": "ok"
        }


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_reports_the_oldest_unsettled_upload(client):
    record(TestRecordStatus.PENDING, age=timedelta(minutes=2))
    record(TestRecordStatus.PROCESSING, age=timedelta(seconds=30))
    record(TestRecordStatus.DONE, age=timedelta(hours=5))  # settled: not in the backlog
    record(TestRecordStatus.FAILED, age=timedelta(hours=5))
    backlog = details(client)["checks"]["upload_backlog"]
    assert backlog["unsettled"] == 2
    assert 120 <= backlog["oldest_age_s"] < 3600


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_unavailable_while_the_database_is_down(client):
    with database_down():
        anonymous = client.get("/readyz")
        operator = details(client)
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "unavailable"}
    assert anonymous["Retry-After"].isdigit()
    assert operator["checks"]["database"]["status"] == "error"
    assert operator["checks"]["database"]["error"] == "OperationalError"
    assert "hunter2" not in anonymous.content.decode()
    assert "10.9.8.7" not in str(operator)


@pytest.mark.django_db
def test_readyz_staff_session_during_a_database_outage_is_no_500(client, audrey):
    """The session is read from the database that is down: the caller gets the status only."""
    client.force_login(audrey)
    with database_down():
        response = client.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


# Readiness with a broker


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_unavailable_when_the_broker_is_unreachable(client):
    with broker(CLOSED_PORT_BROKER):
        anonymous = client.get("/readyz")
        checks = details(client)["checks"]
    assert anonymous.status_code == 503
    assert anonymous["Retry-After"].isdigit()
    assert anonymous.json() == {"status": "unavailable"}
    assert checks["database"]["status"] == "ok"
    assert checks["broker"] == {
        "status": "error",
        "latency_ms": checks["broker"]["latency_ms"],
        "error": "OperationalError",
    }
    assert checks["workers"]["status"] == "error"  # the heartbeats live in that broker
    assert "refused" not in str(checks).lower()


@pytest.fixture
def clean_heartbeats(require_redis):
    """No heartbeat left in the test broker by an earlier worker (one killed keeps its key)."""
    connection = heartbeat.client(require_redis)
    for key in connection.scan_iter(match=f"{heartbeat.KEY_PREFIX}*"):
        connection.delete(key)
    return require_redis


def wait_for_readyz(client: Client, status: int, log, within_s: float = 60) -> dict:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        response = client.get("/readyz", headers={"authorization": f"Bearer {TOKEN}"})
        if response.status_code == status:
            return response.json()
        time.sleep(0.25)
    pytest.fail(f"/readyz never answered {status}: {response.json()}\nworker:\n{log.read_text()}")


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_readyz_follows_a_real_worker(client, clean_heartbeats, tmp_path, pool):
    """Unavailable without a worker, ready once one beats, unavailable again once it stops."""
    log = tmp_path / "worker.log"
    with broker(clean_heartbeats):
        before = client.get("/readyz")
        assert before.status_code == 503
        assert before.json() == {"status": "unavailable"}
        assert details(client)["checks"]["workers"]["status"] == "no_worker"

        with running_worker(clean_heartbeats, log, pool=pool, concurrency=1):
            ready = wait_for_readyz(client, 200, log)
            assert client.get("/readyz").json() == {"status": "ok"}  # anonymous: no details
        workers = ready["checks"]["workers"]
        assert workers["status"] == "ok"
        assert ready["checks"]["broker"]["status"] == "ok"
        [seen] = workers["seen"]
        assert seen["hostname"].startswith("celery@")
        assert 0 <= seen["last_seen_s"] <= heartbeat.TTL_S

        # A worker that stops cleanly takes its heartbeat with it, without waiting for the TTL.
        after = client.get("/readyz", headers={"authorization": f"Bearer {TOKEN}"})
        assert after.status_code == 503
        assert after.json()["checks"]["workers"] == {
            "status": "no_worker",
            "latency_ms": after.json()["checks"]["workers"]["latency_ms"],
            "seen": [],
            "max_age_s": heartbeat.TTL_S,
        }


# The heartbeat store


def test_heartbeats_expire_and_are_read_back_with_their_age(require_redis):
    connection = heartbeat.client(require_redis)
    name = f"test-{uuid.uuid4().hex}@host"
    try:
        heartbeat.beat(connection, name, now=1_000.0)
        assert 0 < connection.ttl(f"{heartbeat.KEY_PREFIX}{name}") <= heartbeat.TTL_S
        seen = {b.hostname: b.age_s for b in heartbeat.workers_seen(connection, now=1_012.5)}
        assert seen[name] == pytest.approx(12.5)
    finally:
        heartbeat.forget(connection, name)
    assert name not in {b.hostname for b in heartbeat.workers_seen(connection)}


def test_only_redis_brokers_keep_heartbeats():
    assert heartbeat.supports("redis://127.0.0.1:6379/0")
    assert heartbeat.supports("rediss://cache.example.org:6380/0")
    assert not heartbeat.supports("amqp://guest@rabbit//")
    assert not heartbeat.supports("memory://localhost/")


# docker-compose's web health check


@pytest.mark.django_db
def test_the_compose_health_check_passes_whatever_allowed_hosts_names(live_server):
    """The command in docker-compose.yml, run against this app with a deployment's hosts: it
    probes liveness, with a Host header the app accepts (127.0.0.1 would be refused)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    code = command[3]
    assert "http://127.0.0.1:8000/healthz" in code
    code = code.replace("http://127.0.0.1:8000", live_server.url)
    for hosts in ("market.example.org,www.market.example.org", ".example.org"):
        with override_settings(ALLOWED_HOSTS=[h for h in hosts.split(",")]):
            done = subprocess.run(
                [sys.executable, "-c", code],
                env={"PATH": os.environ.get("PATH", ""), "ALLOWED_HOSTS": hosts},
                capture_output=True,
                text=True,
                timeout=30,
            )
        assert done.returncode == 0, done.stderr
