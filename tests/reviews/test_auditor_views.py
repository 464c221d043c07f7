"""The auditors' pages and actions: who may do what, what each decision leaves in the lot's
trail, and what the claim page shows at a fixed cost."""

import re

import pytest
from django.urls import reverse

from audit.selectors import audit_chain_verify
from marketplace.selectors import lot_audit_trail
from reviews.models import SupplierRequest
from reviews.services import supplier_answer_create, supplier_request_create
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory
from tests.reviews.scenarios import claimed_lot, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    """Volta's lot: one pack claimed at 92 % measured at 75 %, one confirmed."""
    return claimed_lot(
        supplier=volta, pack_model=lfp_telecom_pack, uploader=alice,
        callbacks=django_capture_on_commit_callbacks, packs=[(92, 75), (85, 84)],
        reference="OVER-92",
    )  # fmt: skip


@pytest.fixture
def question(lot, audrey):
    return supplier_request_create(
        user=audrey, lot_id=lot.pk, kind="question", text="Which cycler ran this test?"
    )


def pages(lot, question) -> dict[str, tuple[str, str, dict]]:
    """Every auditor page and action: (method, url, data that would succeed)."""
    return {
        "queue": ("get", reverse("review-queue"), {}),
        "claim page": ("get", reverse("review-lot", args=[lot.pk]), {}),
        "decide": (
            "post",
            reverse("review-decide", args=[lot.pk]),
            {"decision": "approve", "reason": "Retested; fine"},
        ),
        "ask": (
            "post",
            reverse("review-ask", args=[lot.pk]),
            {"kind": "data_request", "text": "Send a full discharge", "pack": ""},
        ),
        "close": (
            "post",
            reverse("review-request-close", args=[question.pk]),
            {"reason": "Answered by phone"},
        ),
    }


ACTIONS = ["queue", "claim page", "decide", "ask", "close"]


def state(lot) -> tuple:
    lot = Lot.objects.get(pk=lot.pk)
    return (
        lot.status,
        SupplierRequest.objects.count(),
        list(SupplierRequest.objects.values_list("status", flat=True)),
        lot_audit_trail(lot=lot).count(),
    )


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_visitors_are_sent_to_log_in(client, lot, question, action):
    before = state(lot)
    method, url, data = pages(lot, question)[action]
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert state(lot) == before


@pytest.mark.parametrize("persona", ["alice", "rob", "bianca"])
@pytest.mark.parametrize("action", ACTIONS)
def test_suppliers_and_buyers_are_refused_every_auditor_page_and_action(
    request, client, lot, question, persona, action
):
    """Alice supplies the lot itself and still cannot change its verdict."""
    client.force_login(request.getfixturevalue(persona))
    before = state(lot)
    method, url, data = pages(lot, question)[action]
    assert getattr(client, method)(url, data).status_code == 403
    assert state(lot) == before


@pytest.mark.parametrize("action", ["decide", "ask", "close"])
def test_actions_take_only_a_post(client, audrey, lot, question, action):
    client.force_login(audrey)
    _, url, _ = pages(lot, question)[action]
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("action", ACTIONS)
def test_auditors_reach_every_page_and_action(client, audrey, lot, question, action):
    client.force_login(audrey)
    method, url, data = pages(lot, question)[action]
    response = getattr(client, method)(url, data)
    if method == "get":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse("review-lot", args=[lot.pk])


def test_the_nav_links_auditors_to_the_queue_and_keeps_the_admin(client, audrey, alice):
    client.force_login(audrey)
    page = client.get(reverse("review-queue")).content.decode()
    assert f'href="{reverse("review-queue")}">Audit queue' in page
    assert 'href="/admin/">Admin' in page
    client.force_login(alice)
    assert "Audit queue" not in client.get(reverse("lot-list-mine")).content.decode()


def test_the_queue_page_lists_and_counts(client, audrey, lot):
    client.force_login(audrey)
    page = client.get(reverse("review-queue")).content.decode()
    assert "OVER-92" in page
    assert "measured 17.0 SOH points below the claim" in page
    assert 'class="count-discrepancy">Discrepancy: <strong>1</strong>' in page
    assert f'href="/review/lots/{lot.pk}/#pack-' in page
    filtered = client.get(reverse("review-queue"), {"kind": "held_route"}).content.decode()
    assert "OVER-92" not in filtered
    assert 'class="count-discrepancy">Discrepancy: <strong>1</strong>' in filtered


def test_the_whole_review_through_the_pages_leaves_each_step_in_the_trail(
    client, audrey, alice, lot, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(audrey)
    pack = lot.packs.get(serial="OVER-92-1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review-ask", args=[lot.pk]),
            {"kind": "question", "pack": pack.pk, "text": "Was this pack stored hot?"},
            follow=True,
        )
    assert "the lot waits for their answer" in response.content.decode()
    request = SupplierRequest.objects.get()
    assert (request.pack, request.status) == (pack, "open")
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert client.get(reverse("review-queue")).context["queue"].items == []

    supplier_answer_create(user=alice, request_id=request.pk, text="Yes, a summer in a yard.")
    items = client.get(reverse("review-queue")).context["queue"].items
    assert items[0].kind == "answer_waiting"

    response = client.post(
        reverse("review-decide", args=[lot.pk]),
        {"decision": "approve", "reason": "Heat explains the fade; measured figures stand"},
        follow=True,
    )
    assert "approved" in response.content.decode()
    lot.refresh_from_db()
    assert lot.status == LotStatus.VERIFIED
    actions = [(e.action, e.reason) for e in lot_audit_trail(lot=lot)]
    tail = actions[-4:]
    assert tail[0] == ("review.question", "Was this pack stored hot?")
    assert tail[1] == ("review.answer", "Yes, a summer in a yard.")
    assert tail[2] == ("lot.transition", "Heat explains the fade; measured figures stand")
    assert tail[3][0] == "review.request_closed"
    assert audit_chain_verify().ok
    assert client.get(reverse("review-queue")).context["queue"].items == []
    page = client.get(reverse("review-lot", args=[lot.pk])).content.decode()
    assert "review.question" in page and "review.answer" in page
    assert "discrepancy → <strong>verified</strong>" in page


def test_a_decision_without_a_reason_is_refused_with_a_message(client, audrey, lot):
    client.force_login(audrey)
    response = client.post(
        reverse("review-decide", args=[lot.pk]), {"decision": "approve", "reason": " "},
        follow=True,
    )  # fmt: skip
    assert "This field is required" in response.content.decode()
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.DISCREPANCY


def test_a_decision_the_lifecycle_refuses_is_shown_and_changes_nothing(client, audrey, lot):
    client.force_login(audrey)
    client.post(
        reverse("review-decide", args=[lot.pk]), {"decision": "approve", "reason": "ok"},
        follow=True,
    )  # fmt: skip
    entries = lot_audit_trail(lot=lot).count()
    response = client.post(
        reverse("review-decide", args=[lot.pk]), {"decision": "approve", "reason": "again"},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain[-1][0] == reverse("review-lot", args=[lot.pk])
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert lot_audit_trail(lot=lot).count() == entries


def test_a_reject_through_the_page(client, audrey, lot):
    client.force_login(audrey)
    response = client.post(
        reverse("review-decide", args=[lot.pk]),
        {"decision": "reject", "reason": "Claims overstated by 17 points"},
        follow=True,
    )
    assert "Lot OVER-92 rejected" in response.content.decode()
    lot.refresh_from_db()
    assert lot.status == LotStatus.REJECTED
    assert lot_audit_trail(lot=lot).last().reason == "Claims overstated by 17 points"


def test_asking_about_a_pack_of_another_lot_is_refused(client, audrey, lot, rob, recell):
    other = PackFactory(lot=LotFactory(supplier=recell))
    client.force_login(audrey)
    response = client.post(
        reverse("review-ask", args=[lot.pk]),
        {"kind": "question", "pack": other.pk, "text": "?"},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    assert not SupplierRequest.objects.exists()


def test_closing_a_request_through_the_page(client, audrey, lot, question):
    client.force_login(audrey)
    client.post(reverse("review-request-close", args=[question.pk]), {"reason": "Settled"})
    question.refresh_from_db()
    assert question.status == "closed"
    assert lot_audit_trail(lot=lot).last().action == "review.request_closed"
    response = client.post(
        reverse("review-request-close", args=[question.pk]), {"reason": "Again"}, follow=True
    )
    assert "already closed" in response.content.decode()


def test_the_claim_page_shows_claims_against_rounded_measurements(client, audrey, lot, question):
    client.force_login(audrey)
    page = client.get(reverse("review-lot", args=[lot.pk])).content.decode()
    row = page[page.index('id="pack-') :]
    assert "92.0 %" in row and "75.0 %" in row and "-17.0 points" in row
    assert "92.0 Ah" in row  # the claim in Ah: 92 % of 100 Ah
    assert " mΩ" in row
    assert "Discrepancy" in row
    for section in ("charts", "verifications", "files", "history", "conversation", "routing"):
        assert f'id="{section}"' in page
    assert "<svg" in page
    assert "Which cycler ran this test?" in page
    assert "Removed from service" in page  # the lot's chain of custody
    record = lot.packs.get(serial="OVER-92-1").test_records.get()
    assert reverse("test-record-file", args=[record.pk]) in page
    # No raw float anywhere in the figures: at most two decimals.
    assert not re.search(r"\d+\.\d{3,} (%|Ah|mΩ)", page)


def test_the_claim_page_links_duplicate_evidence_both_ways(
    client, audrey, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    first_lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84)
    second_lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84)
    first = PackFactory(lot=first_lot, serial="ORIGINAL")
    copy = PackFactory(lot=second_lot, serial="COPY")
    for pack in (first, copy):
        upload(user=alice, pack=pack, soh=84, callbacks=django_capture_on_commit_callbacks)
    client.force_login(audrey)
    copied = client.get(reverse("review-lot", args=[second_lot.pk])).content.decode()
    assert f'href="/review/lots/{first_lot.pk}/#pack-{first.pk}">pack ORIGINAL' in copied
    original = client.get(reverse("review-lot", args=[first_lot.pk])).content.decode()
    assert f'href="/review/lots/{second_lot.pk}/#pack-{copy.pk}">pack COPY' in original


def test_earlier_verifications_are_listed_as_history(
    client, audrey, alice, lot, django_capture_on_commit_callbacks
):
    pack = lot.packs.get(serial="OVER-92-1")
    upload(user=alice, pack=pack, soh=80, callbacks=django_capture_on_commit_callbacks, seed=5)
    client.force_login(audrey)
    page = client.get(reverse("review-lot", args=[lot.pk])).content.decode()
    runs = page[page.index('id="verifications"') : page.index('id="files"')]
    assert runs.count("OVER-92-1") == 2
    assert "superseded" in runs


# session, user, lot, its report (4), runs, duplicates, history, files (2), trail, conversation
# (4), the nav, the pack choices of the question form
CLAIM_PAGE_QUERY_CAP = 20


@pytest.mark.parametrize("packs", [2, 6])
def test_the_claim_page_makes_a_fixed_number_of_queries(
    packs, client, audrey, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):  # fmt: skip
    lot = claimed_lot(
        supplier=volta, pack_model=lfp_telecom_pack, uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
        packs=[(92, 75 + index) for index in range(packs)],
    )  # fmt: skip
    for pack in lot.packs.all():
        request = supplier_request_create(
            user=audrey, lot_id=lot.pk, kind="question", text="?", pack_id=pack.pk
        )
        supplier_answer_create(user=alice, request_id=request.pk, text="!")
    client.force_login(audrey)
    with django_assert_max_num_queries(CLAIM_PAGE_QUERY_CAP):
        response = client.get(reverse("review-lot", args=[lot.pk]))
    assert len(response.context["review"].packs) == packs


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 200), ("rob", 403), ("bianca", 403)]
)
def test_raw_test_files_download_for_the_supplier_and_auditors_only(
    request, client, lot, persona, status
):
    record = lot.packs.get(serial="OVER-92-1").test_records.get()
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("test-record-file", args=[record.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"time_s")


def test_raw_test_files_need_a_login(client, lot):
    record = lot.packs.first().test_records.get()
    response = client.get(reverse("test-record-file", args=[record.pk]))
    assert response.status_code == 302
