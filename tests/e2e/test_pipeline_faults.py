"""Faults injected into the real topology: a prefork worker (`-c 1`) and beat on PostgreSQL and
a Redis of the test's own. Whatever is killed or stopped, every upload settles (done, or failed
with a reason) within a short bound, with exactly one result per run, and no upload answers 5xx.
"""

import os
import threading
import time
from dataclasses import dataclass

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from rest_framework.test import APIClient

from audit.models import AuditEntry
from config.celery import app as celery_app
from tests.e2e.workers import Beat, PreforkWorker, RedisServer, database_url, use_broker, wait_for
from tests.factories import LotFactory, PackFactory, PackModelFactory, capacity_test_upload
from verification.choices import TestRecordStatus
from verification.models import Measurement, TestRecord, Verification

WORKER_APP_NAME = "pipeline-fault-worker"
SETTLE_AFTER_KILL_S = 90
SETTLE_AFTER_BROKER_RETURNS_S = 120


@dataclass
class Topology:
    redis: RedisServer
    worker: PreforkWorker
    beat: Beat

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.log.name}\n{p.log.read_text()[-6000:]}" for p in (self.worker, self.beat)
        )


@pytest.fixture
def topology(require_postgres, redis_server_binary, tmp_path):
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(WORKER_APP_NAME),
        "CELERY_BROKER_URL": redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "OUTBOX_RELAY_SECONDS": "2",
    }
    worker = PreforkWorker(env=env, log=tmp_path / "worker.log")
    beat = Beat(env=env, log=tmp_path / "beat.log")
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    use_broker(redis.url, eager=False)
    try:
        worker.start()
        beat.start()
        yield Topology(redis=redis, worker=worker, beat=beat)
    finally:
        use_broker(saved[0], eager=saved[1])
        for process in (beat, worker):
            process.stop()
        redis.stop()


@pytest.fixture
def cell_model():
    return PackModelFactory(
        manufacturer="LG", model="INR21700-M50", chemistry="NMC", nominal_voltage_v="3.63",
        nominal_capacity_ah="5.0", nominal_energy_kwh="0.018", cells_series=1,
        baseline_resistance_mohm=None,
    )  # fmt: skip


@pytest.fixture
def slow_file(cycler) -> bytes:
    """A real 3.5 MB Maccor export: reading it takes long enough to be killed mid-way."""
    return cycler.path("maccor_001.txt").read_bytes()


def supplier_api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def post_upload(api: APIClient, pack_id: int, content: bytes, name: str = "M50_01.txt"):
    return api.post(
        f"/api/packs/{pack_id}/test-records/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def settled(record_id: int) -> bool:
    return TestRecord.objects.get(pk=record_id).is_settled


def wait_settled(topology: Topology, record_ids, timeout_s: float) -> float:
    try:
        return wait_for(
            lambda: all(settled(pk) for pk in record_ids), timeout_s=timeout_s, what="settle"
        )
    except TimeoutError:
        states = list(TestRecord.objects.filter(pk__in=record_ids).values("pk", "status"))
        pytest.fail(f"not settled within {timeout_s} s: {states}\n{topology.logs()}")


def assert_recorded_once(record: TestRecord) -> None:
    """Done with its measurement, or failed with a reason; one run, one result entry."""
    assert record.is_settled
    if record.status == TestRecordStatus.FAILED:
        assert record.error
    else:
        assert Measurement.objects.filter(test_record=record).count() == 1
    runs = Verification.objects.filter(pack=record.pack, sha256=record.sha256)
    assert runs.count() == 1
    run = runs.get()
    assert run.status in ("done", "failed")
    results = AuditEntry.objects.filter(
        action="verification.result", object_type="verification", object_id=str(run.pk)
    )
    assert results.count() == 1


def kill_mid_verification(topology: Topology, record_id: int) -> None:
    try:
        wait_for(
            lambda: TestRecord.objects.get(pk=record_id).status == TestRecordStatus.PROCESSING,
            timeout_s=30, interval_s=0.01, what="verification start",
        )  # fmt: skip
    except TimeoutError:
        record = TestRecord.objects.get(pk=record_id)
        pytest.fail(f"never processing: {record.status}\n{topology.logs()}")
    topology.worker.kill_pool_child()


@pytest.mark.django_db(transaction=True)
def test_a_verification_killed_mid_run_is_recorded_once_soon_after(
    topology, alice, volta, cell_model, slow_file
):
    for attempt in range(3):
        lot = LotFactory(supplier=volta, pack_model=cell_model, claimed_soh_pct=91)
        pack = PackFactory(lot=lot)
        # A different file each time (one more line at the end): not a copy of the last.
        response = post_upload(supplier_api(alice), pack.pk, slow_file + b"\n" * attempt)
        assert response.status_code == 201, response.content
        record_id = response.json()["id"]
        kill_mid_verification(topology, record_id)
        took = wait_settled(topology, [record_id], SETTLE_AFTER_KILL_S)
        record = TestRecord.objects.get(pk=record_id)
        assert_recorded_once(record)
        assert record.status == TestRecordStatus.DONE, record.error
        run = Verification.objects.get(pack=pack)
        assert run.takeovers == 1
        print(f"kill {attempt + 1}: recorded {took:.1f} s after the pool process was killed")


@pytest.mark.django_db(transaction=True)
def test_killed_then_uploaded_again_settles_as_one_upload(
    topology, alice, volta, cell_model, slow_file
):
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=cell_model, claimed_soh_pct=91))
    api = supplier_api(alice)
    first = post_upload(api, pack.pk, slow_file)
    assert first.status_code == 201
    kill_mid_verification(topology, first.json()["id"])
    again = post_upload(api, pack.pk, slow_file, name="M50_01 (again).txt")
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"] and again.json()["already_uploaded"]
    wait_settled(topology, [first.json()["id"]], SETTLE_AFTER_KILL_S)
    record = TestRecord.objects.get(pack=pack)
    assert_recorded_once(record)
    assert record.status == TestRecordStatus.DONE, record.error


@pytest.mark.django_db(transaction=True)
def test_fifty_identical_uploads_at_once_make_one_upload_that_settles(
    topology, alice, volta, lfp_telecom_pack
):
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    content = capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack).read()
    start = threading.Barrier(50)
    answers: list = []

    def upload_once() -> None:
        try:
            api = supplier_api(alice)
            start.wait()
            response = post_upload(api, pack.pk, content, name="capacity.csv")
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload_once) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    codes = sorted(code for code, _ in answers)
    assert codes == [200] * 49 + [201], codes
    assert len({body["id"] for _, body in answers}) == 1
    record = TestRecord.objects.get(pack=pack)
    wait_settled(topology, [record.pk], SETTLE_AFTER_KILL_S)
    record.refresh_from_db()
    assert_recorded_once(record)
    assert record.status == TestRecordStatus.DONE, record.error


@pytest.mark.django_db(transaction=True)
def test_uploads_while_redis_is_stopped_are_stored_and_verified_when_it_returns(
    topology, alice, volta, lfp_telecom_pack
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, quantity=5)
    packs = [PackFactory(lot=lot) for _ in range(5)]
    api = supplier_api(alice)
    topology.redis.stop()
    ids = []
    for seed, pack in enumerate(packs, start=1):
        content = capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack, seed=seed)
        response = post_upload(api, pack.pk, content.read(), name=f"capacity-{seed}.csv")
        assert response.status_code == 201, response.content
        assert response.json()["status"] == TestRecordStatus.PENDING
        ids.append(response.json()["id"])
    assert TestRecord.objects.filter(pk__in=ids, queued_at__isnull=True).count() == 5
    time.sleep(3)  # the relay runs meanwhile and finds the broker still away
    topology.redis.start()
    took = wait_settled(topology, ids, SETTLE_AFTER_BROKER_RETURNS_S)
    print(f"5 uploads stored during a broker outage: verified {took:.1f} s after it returned")
    for record in TestRecord.objects.filter(pk__in=ids):
        assert_recorded_once(record)
        assert record.status == TestRecordStatus.DONE, record.error


def terminate_worker_connections(stop: threading.Event, dsn: str, counts: list[int]) -> None:
    """Every 100 ms, end the worker's database sessions (and only those)."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        while not stop.is_set():
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [WORKER_APP_NAME],
            ).fetchone()[0]
            counts.append(ended)
            stop.wait(0.1)


@pytest.mark.django_db(transaction=True)
def test_worker_database_connections_ended_mid_write_lose_nothing(
    topology, alice, volta, cell_model, slow_file
):
    lot = LotFactory(supplier=volta, pack_model=cell_model, claimed_soh_pct=91, quantity=4)
    packs = [PackFactory(lot=lot) for _ in range(4)]
    api = supplier_api(alice)
    stop, counts = threading.Event(), []
    db = connection.settings_dict
    dsn = (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"user={db['USER']} dbname={db['NAME']}"
    )
    terminator = threading.Thread(target=terminate_worker_connections, args=(stop, dsn, counts))
    terminator.start()
    ids = []
    try:
        for copy, pack in enumerate(packs):
            response = post_upload(api, pack.pk, slow_file + b"\n" * copy)
            assert response.status_code == 201, response.content
            ids.append(response.json()["id"])
        time.sleep(10)  # 10 s of sessions ended every 100 ms, as the worker reads and writes
    finally:
        stop.set()
        terminator.join()
    assert sum(counts) > 0, "no worker session was ended: the fault was not injected"
    wait_settled(topology, ids, SETTLE_AFTER_BROKER_RETURNS_S)
    for record in TestRecord.objects.filter(pk__in=ids):
        assert_recorded_once(record)
        assert record.status == TestRecordStatus.DONE, record.error
    print(f"{sum(counts)} worker sessions ended during 4 verifications; all recorded once")
