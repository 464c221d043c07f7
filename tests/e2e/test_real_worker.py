"""The pipeline with a real Celery worker process consuming from Redis, on PostgreSQL."""

import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.e2e.workers import running_worker
from tests.factories import capacity_test_upload
from verification.choices import TestRecordStatus
from verification.models import TestRecord, Verification


@pytest.fixture
def worker(require_postgres, require_redis, tmp_path):
    """A worker process on the test database, and this process sending to its broker."""
    log = tmp_path / "worker.log"
    with running_worker(require_redis, log):
        yield log


def wait_until_settled(record_id: int, log: Path, timeout_s: float = 90) -> TestRecord:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = TestRecord.objects.get(pk=record_id)
        if record.is_settled:
            return record
        time.sleep(0.5)
    pytest.fail(f"the worker did not settle test record {record_id}; log:\n{log.read_text()}")


@pytest.mark.django_db(transaction=True)
def test_worker_verifies_and_routes_an_upload(worker, alice, volta, lfp_telecom_pack):
    api = APIClient()
    api.force_authenticate(alice)
    created = api.post(
        "/api/lots/",
        {
            "reference": "WORKER-1",
            "pack_model": lfp_telecom_pack.pk,
            "location": "Leeds",
            "quantity": 2,
            "claimed_soh_pct": "83",
            "price_per_kwh": "90",
            "packs": [{"serial": "W-GOOD"}, {"serial": "W-BAD"}],
            "history": [{"kind": "manufactured", "occurred_on": "2017-01-01"}],
        },
        format="json",
    ).json()
    assert api.post(f"/api/lots/{created['id']}/submit/").status_code == 200
    good, bad = (p["pack"]["id"] for p in created["packs"])

    response = api.post(
        f"/api/packs/{good}/test-records/",
        {"file": capacity_test_upload(soh_pct=82.0, pack_model=lfp_telecom_pack)},
        format="multipart",
    )
    assert response.status_code == 201
    assert Lot.objects.get(pk=created["id"]).status == LotStatus.VERIFYING
    record = wait_until_settled(response.json()["id"], worker)
    assert record.status == TestRecordStatus.DONE, record.error
    run = Verification.objects.get(test_record=record)
    assert run.measured_soh_pct == pytest.approx(82.0, abs=0.5)
    assert run.verdict == "confirmed"

    junk = api.post(
        f"/api/packs/{bad}/test-records/",
        {
            "file": capacity_test_upload(
                soh_pct=82.0, pack_model=lfp_telecom_pack, name="x.csv"
            ).read()[:-400]
            + b"\n9999,-50,abc,1,4\n"
        },
        format="multipart",
    )
    assert junk.status_code == 400  # a bytes body is no file: the API says so
    from django.core.files.uploadedfile import SimpleUploadedFile

    junk = api.post(
        f"/api/packs/{bad}/test-records/",
        {
            "file": SimpleUploadedFile(
                "junk.csv", b"time_s,current_a,voltage_v,cycle,step\n1,2,abc,1,1\n"
            )
        },
        format="multipart",
    )
    failed = wait_until_settled(junk.json()["id"], worker)
    assert failed.status == TestRecordStatus.FAILED
    assert "row 2: voltage_v is not a number" in failed.error

    lot = Lot.objects.get(pk=created["id"])
    # Measured, but on 1 of the 2 packs the sampling plan asks for.
    assert lot.status == LotStatus.VERIFYING
    assert (lot.summary.packs_measured, lot.summary.sample_size_required) == (1, 2)
    assert lot.summary.measured_soh_pct is not None
    listed = api.get(f"/api/lots/{created['id']}/").json()
    assert (listed["packs_measured"], listed["sample_size_required"]) == (1, 2)

    # The good pack's file offered again for the other pack confirms neither.
    again = api.post(
        f"/api/packs/{bad}/test-records/",
        {"file": capacity_test_upload(soh_pct=82.0, pack_model=lfp_telecom_pack)},
        format="multipart",
    )
    assert again.status_code == 201
    wait_until_settled(again.json()["id"], worker)
    for pack_id in (good, bad):
        runs = api.get(f"/api/packs/{pack_id}/verifications/").json()
        runs = runs.get("results", runs)
        assert runs and not any(r["verdict"] == "confirmed" for r in runs), runs
        assert runs[0]["verdict"] == "duplicate"
    assert Lot.objects.get(pk=created["id"]).status == LotStatus.DISCREPANCY


@pytest.mark.django_db(transaction=True)
def test_worker_reads_a_real_maccor_export(worker, alice, volta, cycler, reference):
    """A cycler's own export, its format detected by the worker: the rate test of an NMC 21700
    (maccor_001.txt, 3.5 MB) gives its C/10 capacity, and the read progress ends at 100 %."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import LotFactory, PackFactory, PackModelFactory

    cell = PackModelFactory(
        manufacturer="LG",
        model="INR21700-M50",
        chemistry="NMC",
        nominal_voltage_v="3.63",
        nominal_capacity_ah="5.0",
        nominal_energy_kwh="0.018",
        cells_series=1,
        baseline_resistance_mohm=None,
    )
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=cell, claimed_soh_pct=91))
    api = APIClient()
    api.force_authenticate(alice)
    raw = cycler.path("maccor_001.txt").read_bytes()
    response = api.post(
        f"/api/packs/{pack.pk}/test-records/",
        {"file": SimpleUploadedFile("M50_Validation_0deg_01.txt", raw)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    record = wait_until_settled(response.json()["id"], worker)
    assert record.status == TestRecordStatus.DONE, record.error
    assert record.progress_pct == 100
    measurement = record.measurement
    assert measurement.format == "maccor_txt"
    expected = reference["maccor_001.txt"]["rate_capability_Ah"]["C/10 (0.5 A)"]
    assert measurement.discharge_capacity_ah == pytest.approx(expected, rel=0.005)
    assert "unsigned" in measurement.units["discharge_sign"]
