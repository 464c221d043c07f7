"""Auditors' non-verdict actions from the review page: re-running any upload's verification."""

import pytest

from audit.models import AuditEntry
from marketplace import services as marketplace_services
from reviews.models import Notification
from reviews.services import lot_decide
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot
from verification.models import TestRecord, Verification


@pytest.fixture
def lot(volta, alice, lfp_telecom_pack, django_capture_on_commit_callbacks):
    return measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip


def test_a_finished_verification_is_run_again_and_the_first_stays_as_history(
    client, audrey, alice, lot, django_capture_on_commit_callbacks
):
    record = TestRecord.objects.get(pack__lot=lot)
    first = Verification.objects.get(test_record=record)
    client.force_login(audrey)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/review/test-records/{record.pk}/rerun/",
            {"reason": "The reader's cutoff detection was fixed"},
        )
    assert response.status_code == 302
    runs = list(Verification.objects.filter(pack=record.pack).order_by("generation"))
    assert [(r.generation, r.status) for r in runs] == [(0, "done"), (1, "done")]
    assert runs[0].pk == first.pk and runs[0].verdict == first.verdict
    # Never overwritten: each run keeps its own record and measurement.
    assert runs[0].test_record_id == record.pk and runs[1].test_record_id != record.pk
    assert runs[0].measurement_id != runs[1].measurement_id
    assert runs[0].measurement.test_record_id == record.pk
    again = runs[1].test_record
    assert (again.status, again.run_generation, again.sha256) == ("done", 1, record.sha256)
    record.refresh_from_db()
    assert (record.status, record.run_generation) == ("done", 0)
    entry = AuditEntry.objects.get(action="test_record.rerun")
    assert entry.reason == "The reader's cutoff detection was fixed"
    assert entry.before == {"status": "done"} and entry.after["rerun_of"] == record.pk
    notice = Notification.objects.get(recipient=alice)
    assert "re-runs the verification" in notice.message and "cutoff" in notice.message


def test_a_rerun_needs_an_auditor_and_a_reason(client, alice, bianca, audrey, lot):
    record = TestRecord.objects.get(pack__lot=lot)
    for user in (alice, bianca):
        client.force_login(user)
        response = client.post(f"/review/test-records/{record.pk}/rerun/", {"reason": "x"})
        assert response.status_code == 403
    client.force_login(audrey)
    client.post(f"/review/test-records/{record.pk}/rerun/", {"reason": " "})
    assert Verification.objects.filter(pack=record.pack).count() == 1
    assert not AuditEntry.objects.filter(action="test_record.rerun").exists()


def test_re_running_an_approved_file_leaves_the_decision_standing(
    client, audrey, volta, alice, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    over_claimed = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=95)
    pack = PackFactory(lot=over_claimed)
    with django_capture_on_commit_callbacks(execute=True):
        record = marketplace_services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=84, pack_model=lfp_telecom_pack),
        )
    lot_decide(user=audrey, lot_id=over_claimed.pk, decision="approve", reason="BMS claim")
    client.force_login(audrey)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/review/test-records/{record.pk}/rerun/", {"reason": "reader fixed"})
    assert Verification.objects.filter(pack=pack, verdict="discrepancy").count() == 2
    over_claimed.refresh_from_db()
    assert over_claimed.status == "verified"  # the same finding again: the approval stands
