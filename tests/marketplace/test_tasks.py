"""The worker task: retries only what may pass, gives up with a clear message, never loops."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from core.errors import ApplicationError
from marketplace import services, tasks
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification import selectors
from verification.choices import TestRecordStatus, VerificationStatus
from verification.models import TestRecord


@pytest.fixture
def record(alice, volta, lfp_telecom_pack, monkeypatch):
    # Stored without running: the tests call the task themselves.
    monkeypatch.setattr(tasks.verify_test_record, "delay", lambda *args: None)
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    return services.test_data_upload(
        user=alice,
        pack=pack,
        uploaded_file=capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack),
    )


def failing(exc: Exception, calls: list):
    def run(*, test_record_id: int, claim_token: str = "", attempt: int = 0):
        calls.append(test_record_id)
        raise exc

    return run


def test_transient_errors_are_retried_then_given_up_with_a_message(record, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(tasks, "test_record_verify", failing(OperationalError("db gone"), calls))
    tasks.verify_test_record.apply(args=[record.pk])
    assert len(calls) == tasks.MAX_RETRIES + 1
    record.refresh_from_db()
    assert record.status == TestRecordStatus.FAILED
    assert f"after {tasks.MAX_RETRIES + 1} attempts (db gone)" in record.error


def test_an_internal_error_fails_the_record_once_without_retrying(record, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(tasks, "test_record_verify", failing(ZeroDivisionError("bug"), calls))
    tasks.verify_test_record.apply(args=[record.pk])
    assert len(calls) == 1
    record.refresh_from_db()
    assert record.status == TestRecordStatus.FAILED and "internal error" in record.error
    assert not record.verifications.filter(status=VerificationStatus.RUNNING).exists()
    # Settled: the beat's re-queue of stale uploads never picks it up again.
    assert record.pk not in selectors.test_record_ids_stale(older_than=timedelta(0))


def test_bad_data_is_stored_as_an_error_and_never_retried(alice, volta, lfp_telecom_pack):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    bad = services.test_data_upload(
        user=alice, pack=pack, uploaded_file=SimpleUploadedFile("bad.csv", b"\x00\x01junk")
    )
    result = tasks.verify_test_record.apply(args=[bad.pk])
    assert result.successful()
    bad.refresh_from_db()
    assert bad.status == TestRecordStatus.FAILED and "missing column" in bad.error
    assert TestRecord.objects.filter(status=TestRecordStatus.PROCESSING).count() == 0


def test_running_twice_does_the_work_once(record):
    tasks.verify_test_record.apply(args=[record.pk])
    tasks.verify_test_record.apply(args=[record.pk])
    record.refresh_from_db()
    assert record.status == TestRecordStatus.DONE
    assert record.verifications.count() == 1


def test_an_auditor_re_runs_a_failed_upload_from_the_admin(
    client, audrey, alice, record, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks, "test_record_verify", failing(ZeroDivisionError("bug"), []))
    tasks.verify_test_record.apply(args=[record.pk])
    record.refresh_from_db()
    assert record.status == TestRecordStatus.FAILED
    monkeypatch.undo()  # the fault is fixed; delay runs the task eagerly again

    with pytest.raises(ApplicationError, match="Only auditors"):
        services.test_record_rerun(user=alice, test_record_id=record.pk)
    client.force_login(audrey)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/verification/testrecord/",
            {"action": "rerun_verification", "_selected_action": [record.pk]},
            follow=True,
        )
    assert b"1 upload(s) sent back to the workers" in response.content
    record.refresh_from_db()
    assert record.status == TestRecordStatus.DONE and record.error == ""
    assert record.verifications.get().measured_soh_pct == pytest.approx(80, abs=0.5)
    # The admin's action re-runs failed uploads only; finished ones are re-run, with a reason,
    # from the auditors' review page.
    response = client.post(
        "/admin/verification/testrecord/",
        {"action": "rerun_verification", "_selected_action": [record.pk]},
        follow=True,
    )
    assert b"sent back to the workers" not in response.content
    assert record.verifications.count() == 1


def test_the_task_holds_its_run_by_its_own_id(record, monkeypatch):
    tokens: list[str] = []
    monkeypatch.setattr(
        tasks,
        "test_record_verify",
        lambda *, test_record_id, claim_token, attempt: tokens.append(claim_token),
    )
    result = tasks.verify_test_record.apply(args=[record.pk], task_id="task-abc")
    assert result.successful() and tokens == ["task-abc"]


def test_a_verification_past_its_time_limit_fails_with_a_reason(record, monkeypatch, settings):
    calls: list[int] = []
    monkeypatch.setattr(tasks, "test_record_verify", failing(SoftTimeLimitExceeded(), calls))
    tasks.verify_test_record.apply(args=[record.pk])
    assert len(calls) == 1  # not retried
    record.refresh_from_db()
    assert record.status == TestRecordStatus.FAILED
    assert f"took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s" in record.error
