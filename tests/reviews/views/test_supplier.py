"""The supplier's side: questions on its own lots only, answered with text and files; the
answer goes back to the auditor, and everyone's notices."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from reviews.choices import SupplierRequestStatus
from reviews.models import Notification, SupplierRequest
from reviews.services import lot_decide, supplier_request_create
from tests.factories import LotFactory, PackFactory


@pytest.fixture
def lot(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="discrepancy")
    PackFactory(lot=lot, serial="Q-1")
    return lot


@pytest.fixture
def question(lot, audrey):
    return supplier_request_create(
        user=audrey, lot_id=lot.pk, kind="question", text="Which cycler ran the test?"
    )


def test_the_supplier_answers_with_text_and_files_and_the_auditor_is_told(
    client, alice, audrey, question, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(alice)
    inbox = client.get("/supplier/requests/").content.decode()
    assert "Which cycler ran the test?" in inbox
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/supplier/requests/{question.pk}/",
            {
                "text": "An Arbin LBT21084, calibrated in May.",
                "files": [
                    SimpleUploadedFile("calibration.pdf", b"%PDF-1.4 certificate"),
                    SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff jpeg"),
                ],
            },
        )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == SupplierRequestStatus.ANSWERED
    answer = question.answers.get()
    assert sorted(f.original_name for f in answer.files.all()) == ["calibration.pdf", "photo.jpg"]
    entry = AuditEntry.objects.get(action="review.answer")
    assert entry.scope == f"lot:{question.lot_id}"
    assert len(entry.after["files"]) == 2 and entry.after["files"][0]["sha256"]
    notice = Notification.objects.get(recipient=audrey)
    assert "answered" in notice.message
    assert [m.to for m in mailoutbox] == [[audrey.email]]

    attached = answer.files.first()
    client.force_login(audrey)
    assert client.get(f"/answer-files/{attached.pk}/").status_code == 200


def test_an_answer_needs_something_and_a_closed_request_takes_none(
    client, alice, audrey, question, lot
):
    client.force_login(alice)
    page = client.post(f"/supplier/requests/{question.pk}/", {"text": "  "})
    assert page.status_code == 200 and "needs a text or a file" in page.content.decode()
    assert SupplierRequest.objects.get(pk=question.pk).status == SupplierRequestStatus.OPEN
    lot_decide(user=audrey, lot_id=lot.pk, decision="approve", reason="Datasheet checked")
    assert SupplierRequest.objects.get(pk=question.pk).status == SupplierRequestStatus.CLOSED
    page = client.post(f"/supplier/requests/{question.pk}/", {"text": "late"})
    assert "closed" in page.content.decode()
    assert not question.answers.exists()


def test_other_suppliers_buyers_and_strangers_see_nothing(
    client, rob, bianca, alice, question, lot
):
    client.force_login(rob)
    assert "Which cycler" not in client.get("/supplier/requests/").content.decode()
    assert client.get(f"/supplier/requests/{question.pk}/").status_code == 404
    assert client.post(f"/supplier/requests/{question.pk}/", {"text": "hi"}).status_code == 404
    client.force_login(bianca)
    assert client.get("/supplier/requests/").status_code == 403
    client.logout()
    assert client.get("/supplier/requests/").status_code == 302


def test_answer_files_are_for_the_supplier_and_the_auditors(
    client, alice, rob, bianca, audrey, question
):
    client.force_login(alice)
    client.post(
        f"/supplier/requests/{question.pk}/",
        {"text": "", "files": [SimpleUploadedFile("report.pdf", b"%PDF report")]},
    )
    attached = question.answers.get().files.get()
    assert client.get(f"/answer-files/{attached.pk}/").status_code == 200
    for outsider in (rob, bianca):
        client.force_login(outsider)
        assert client.get(f"/answer-files/{attached.pk}/").status_code == 403


def test_notices_are_listed_for_their_recipient_and_marked_read(client, alice, rob, question):
    client.force_login(alice)
    page = client.get("/notifications/").content.decode()
    assert "Which cycler ran the test?" in page
    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    client.force_login(rob)
    assert "Which cycler" not in client.get("/notifications/").content.decode()


def test_the_inbox_costs_the_same_queries_for_one_or_many_requests(
    client, alice, audrey, lot, django_assert_max_num_queries
):
    client.force_login(alice)
    for n in range(8):
        supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text=f"Q{n}")
    with django_assert_max_num_queries(12):
        assert client.get("/supplier/requests/").status_code == 200
    with django_assert_max_num_queries(14):
        assert (
            client.get(f"/supplier/requests/{SupplierRequest.objects.first().pk}/").status_code
            == 200
        )


def test_an_answer_refused_midway_leaves_no_file_and_the_sweep_takes_strays(
    settings, tmp_path, alice, question
):
    import os
    import time

    from reviews.services import supplier_answer_create
    from reviews.tasks import sweep_orphaned_answer_files

    settings.MEDIA_ROOT = str(tmp_path)
    settings.TEST_DATA_MAX_UPLOAD_MB = 1
    with pytest.raises(Exception, match="the limit is 1 MB"):
        supplier_answer_create(
            user=alice,
            request_id=question.pk,
            text="two files",
            files=[
                SimpleUploadedFile("small.pdf", b"%PDF small"),
                SimpleUploadedFile("huge.bin", b"x" * (1024 * 1024 + 1)),
            ],
        )
    assert not question.answers.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    stray = tmp_path / "answers" / "2026" / "11" / "stray.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF stray")
    os.utime(stray, (time.time() - 7200, time.time() - 7200))
    assert sweep_orphaned_answer_files() == 1 and not stray.exists()
