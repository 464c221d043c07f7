"""A run's claim is a lease held by the task's id: the same task redelivered after its worker
died takes the run over at once; another task finds it busy; a file that keeps killing workers
is failed with a reason."""

import pytest

from marketplace import pipeline, services, tasks
from routing.selectors import rule_set_active
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.choices import TestRecordStatus, VerificationStatus
from verification.models import TestRecord, Verification
from verification.services import verification_claim


@pytest.fixture
def record(alice, volta, lfp_telecom_pack, monkeypatch):
    monkeypatch.setattr(tasks.verify_test_record, "delay", lambda *args: None)
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=1)
    return services.test_data_upload(
        user=alice,
        pack=PackFactory(lot=lot),
        uploaded_file=capacity_test_upload(soh_pct=84, pack_model=lfp_telecom_pack),
    )


def die_mid_run(record, token: str) -> Verification:
    """A worker claims the run and is killed before it stores anything."""
    rule_set = rule_set_active()
    claim = verification_claim(
        test_record_id=record.pk, rule_set_ref=rule_set.pk, rule_set_label=str(rule_set),
        claim_token=token,
    )  # fmt: skip
    assert claim.state.value == "claimed"
    return claim.run


def test_the_redelivered_task_takes_its_run_over_at_once(record):
    die_mid_run(record, "task-1")
    run = pipeline.test_record_verify(test_record_id=record.pk, claim_token="task-1")
    run.refresh_from_db()
    assert (run.status, run.verdict, run.takeovers) == (VerificationStatus.DONE, "confirmed", 1)
    record.refresh_from_db()
    assert record.status == TestRecordStatus.DONE


def test_another_task_finds_a_live_lease_busy(record):
    die_mid_run(record, "task-1")
    run = pipeline.test_record_verify(test_record_id=record.pk, claim_token="task-2")
    run.refresh_from_db()
    assert run.status == VerificationStatus.RUNNING and run.claim_token == "task-1"


def test_a_file_that_stops_the_worker_twice_is_failed_with_a_reason(record, audrey):
    die_mid_run(record, "task-1")
    Verification.objects.filter(test_record=record).update(takeovers=1)  # died once before
    run = pipeline.test_record_verify(test_record_id=record.pk, claim_token="task-1")
    run.refresh_from_db()
    assert run.status == VerificationStatus.FAILED
    record = TestRecord.objects.get(pk=record.pk)
    assert record.status == TestRecordStatus.FAILED
    assert "stopped the worker 2 times" in record.error
    # An auditor's re-run starts the count again.
    services.test_record_rerun(user=audrey, test_record_id=record.pk)
    assert Verification.objects.get(test_record=record).takeovers == 0


@pytest.mark.parametrize("outcome", ["done", "failed"])
def test_every_upload_sharing_a_run_settles_when_the_run_does(record, outcome):
    # Two uploads of one file for one pack (stored before uploads were deduplicated) share a run.
    twin = TestRecord.objects.create(
        pack=record.pack, original_name="copy.csv", format=record.format, sha256=record.sha256,
        size_bytes=record.size_bytes, file=record.file.name, uploaded_by=record.uploaded_by,
    )  # fmt: skip
    die_mid_run(record, "task-1")
    pipeline.test_record_verify(test_record_id=twin.pk, claim_token="task-2")  # busy: joins
    if outcome == "failed":
        Verification.objects.filter(test_record=record).update(takeovers=1)
    pipeline.test_record_verify(test_record_id=record.pk, claim_token="task-1")
    statuses = set(TestRecord.objects.filter(pack=record.pack).values_list("status", flat=True))
    assert statuses == {outcome}
    assert Verification.objects.filter(pack=record.pack).count() == 1


def test_a_retry_after_a_fault_takes_its_run_back_without_counting_a_takeover(record):
    # Attempt 0 claimed and hit a dropped connection it could not clean up after (the run
    # stays running under its lease); the task's retry (attempt 1) is no dead worker.
    rule_set = rule_set_active()
    verification_claim(
        test_record_id=record.pk, rule_set_ref=rule_set.pk, rule_set_label=str(rule_set),
        claim_token="task-1", attempt=0,
    )  # fmt: skip
    run = pipeline.test_record_verify(test_record_id=record.pk, claim_token="task-1", attempt=1)
    run.refresh_from_db()
    assert (run.status, run.takeovers) == (VerificationStatus.DONE, 0)
