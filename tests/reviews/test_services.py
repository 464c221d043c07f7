"""The reviews services: who may decide, ask, answer and close; the reasons each needs; the audit
entries, notices and emails each leaves."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.selectors import audit_chain_verify
from core.errors import ApplicationError
from marketplace.selectors import lot_audit_trail
from reviews.models import Notification, SupplierRequest
from reviews.services import (
    lot_decide,
    supplier_answer_create,
    supplier_request_close,
    supplier_request_create,
)
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory, MembershipFactory, PackFactory, UserFactory
from tests.reviews.scenarios import claimed_lot

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    return claimed_lot(
        supplier=volta, pack_model=lfp_telecom_pack, uploader=alice,
        callbacks=django_capture_on_commit_callbacks, packs=[(92, 75)], reference="SVC-1",
    )  # fmt: skip


def trail_actions(lot) -> list[str]:
    return [entry.action for entry in lot_audit_trail(lot=lot)]


@pytest.mark.parametrize("persona", ["alice", "rob", "bianca"])
def test_only_auditors_decide_ask_and_close(request, lot, audrey, persona):
    user = request.getfixturevalue(persona)
    question = supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="?")
    before = trail_actions(lot)
    with pytest.raises(ApplicationError, match="Only auditors"):
        lot_decide(user=user, lot_id=lot.pk, decision="approve", reason="mine")
    with pytest.raises(ApplicationError, match="Only auditors"):
        supplier_request_create(user=user, lot_id=lot.pk, kind="question", text="?")
    with pytest.raises(ApplicationError, match="Only auditors"):
        supplier_request_close(user=user, request_id=question.pk, reason="done")
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.DISCREPANCY
    assert trail_actions(lot) == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_every_auditor_action_needs_a_written_reason(lot, audrey, reason):
    with pytest.raises(ApplicationError, match="written"):
        lot_decide(user=audrey, lot_id=lot.pk, decision="approve", reason=reason)
    with pytest.raises(ApplicationError, match="written"):
        supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text=reason)
    question = supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="?")
    with pytest.raises(ApplicationError, match="written"):
        supplier_request_close(user=audrey, request_id=question.pk, reason=reason)


def test_unknown_decisions_and_kinds_are_refused(lot, audrey):
    with pytest.raises(ApplicationError, match="Unknown decision"):
        lot_decide(user=audrey, lot_id=lot.pk, decision="override", reason="x")
    with pytest.raises(ApplicationError, match="Unknown kind"):
        supplier_request_create(user=audrey, lot_id=lot.pk, kind="demand", text="x")


def test_a_question_about_another_lots_pack_is_refused(lot, audrey, recell):
    other = PackFactory(lot=LotFactory(supplier=recell))
    with pytest.raises(ApplicationError, match="not in this lot"):
        supplier_request_create(
            user=audrey, lot_id=lot.pk, kind="question", text="?", pack_id=other.pk
        )
    assert not SupplierRequest.objects.exists()


def test_approving_goes_through_the_lifecycle_and_tells_the_supplier(
    lot, audrey, alice, volta, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = MembershipFactory(user=UserFactory(username="carl"), organisation=volta).user
    with django_capture_on_commit_callbacks(execute=True):
        decided = lot_decide(user=audrey, lot_id=lot.pk, decision="approve", reason="Retest agrees")
    assert decided.status == LotStatus.VERIFIED
    entry = lot_audit_trail(lot=lot).last()
    assert (entry.action, entry.before["status"], entry.after["status"], entry.reason) == (
        "lot.transition", "discrepancy", "verified", "Retest agrees",
    )  # fmt: skip
    notices = Notification.objects.filter(lot=lot)
    assert {n.recipient for n in notices} == {alice, colleague}
    assert all("approved lot SVC-1: Retest agrees" in n.message for n in notices)
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "carl@example.com"]
    assert all(n.emailed_at for n in Notification.objects.filter(lot=lot))
    assert audit_chain_verify().ok


def test_no_email_leaves_before_the_decision_commits(lot, audrey, mailoutbox):
    lot_decide(user=audrey, lot_id=lot.pk, decision="reject", reason="Overstated")
    assert mailoutbox == []  # the on-commit callback has not run inside the test transaction
    assert Notification.objects.filter(lot=lot, emailed_at__isnull=True).count() == 1


def test_rejecting_closes_the_open_questions_with_the_reason(lot, audrey, alice):
    question = supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="?")
    supplier_answer_create(user=alice, request_id=question.pk, text="Because.")
    data = supplier_request_create(user=audrey, lot_id=lot.pk, kind="data_request", text="More")
    lot_decide(user=audrey, lot_id=lot.pk, decision="reject", reason="Overstated")
    assert set(
        SupplierRequest.objects.filter(pk__in=[question.pk, data.pk]).values_list(
            "status", flat=True
        )
    ) == {"closed"}
    closing = [e for e in lot_audit_trail(lot=lot) if e.action == "review.request_closed"]
    assert len(closing) == 2 and all(e.reason.endswith(": Overstated") for e in closing)


def test_requests_closed_by_a_rejection_say_rejected(lot, audrey):
    supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="?")
    lot_decide(user=audrey, lot_id=lot.pk, decision="reject", reason="Overstated")
    assert lot_audit_trail(lot=lot).last().reason == "lot rejected: Overstated"


def test_a_verdict_the_lifecycle_forbids_is_refused(lot, audrey):
    lot_decide(user=audrey, lot_id=lot.pk, decision="approve", reason="ok")
    with pytest.raises(ApplicationError):
        lot_decide(user=audrey, lot_id=lot.pk, decision="approve", reason="again")


def test_the_supplier_answers_with_text_and_files(
    lot, audrey, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question = supplier_request_create(
            user=audrey, lot_id=lot.pk, kind="data_request", text="A new full discharge, please"
        )
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    report = SimpleUploadedFile("report.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        answer = supplier_answer_create(
            user=alice, request_id=question.pk, text="Uploaded today", files=[report]
        )
    question.refresh_from_db()
    assert question.status == "answered" and question.answered_at
    [attached] = answer.files.all()
    assert attached.original_name == "report.pdf" and len(attached.sha256) == 64
    entry = lot_audit_trail(lot=lot).last()
    assert entry.action == "review.answer"
    assert entry.after["files"] == [{"name": "report.pdf", "sha256": attached.sha256}]
    assert mailoutbox[-1].to == ["audrey@example.com"]


@pytest.mark.parametrize("persona", ["rob", "bianca", "audrey"])
def test_only_the_lots_supplier_answers(request, lot, audrey, persona):
    question = supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="?")
    with pytest.raises(ApplicationError, match="Only the supplier"):
        supplier_answer_create(
            user=request.getfixturevalue(persona), request_id=question.pk, text="x"
        )


def test_an_empty_answer_and_an_answer_to_a_closed_request_are_refused(lot, audrey, alice):
    question = supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="?")
    with pytest.raises(ApplicationError, match="text or a file"):
        supplier_answer_create(user=alice, request_id=question.pk, text="  ")
    supplier_request_close(user=audrey, request_id=question.pk, reason="Asked by phone")
    with pytest.raises(ApplicationError, match="closed"):
        supplier_answer_create(user=alice, request_id=question.pk, text="late")
    with pytest.raises(ApplicationError, match="already closed"):
        supplier_request_close(user=audrey, request_id=question.pk, reason="again")


def test_answering_never_changes_the_verdict(lot, audrey, alice):
    question = supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="?")
    supplier_answer_create(user=alice, request_id=question.pk, text="It is fine, approve it")
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.DISCREPANCY
