"""The history section of lot and pack pages, the supplier's forms, and document downloads,
for each persona."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from marketplace.history import document_upload, history_event_add
from suppliers.models import Document, HistoryEvent
from tests.documents import EXE, PDF, pdf, png, upload
from tests.factories import LotFactory, PackFactory, measured_lot

PERSONAS = ["alice", "rob", "bianca", "audrey"]


def chain(user, lot, pack=None):
    rows = [
        ({"kind": "manufactured", "occurred_on": date(2018, 1, 1), "actor": "CATL"}, None),
        ({"kind": "in_service", "occurred_on": date(2019, 1, 1), "actor": "Volta Fleet Services",
          "vin": "1HGCM82633A004352"}, None),
        ({"kind": "removed", "occurred_on": date(2024, 1, 1), "actor": "Volta Fleet Services"},
         None),
        # The packs were with Volta; a transfer from someone else is a gap in the record.
        ({"kind": "custody_transfer", "occurred_on": date(2025, 1, 1),
          "custody_from": "Dismantler X", "custody_to": "ReCell"}, pack),
    ]  # fmt: skip
    return [history_event_add(user=user, lot=lot, pack=p, fields=f) for f, p in rows]


def documented(alice, lot, *, published: bool, name: str = "sds.pdf", **extra):
    return document_upload(
        user=alice, lot=lot, uploaded_file=pdf(name, extra=name.encode()),
        kind="safety_data_sheet", published=published, **extra,
    )  # fmt: skip


@pytest.fixture
def draft(alice, volta, lfp_telecom_pack):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status="draft", with_history=False
    )
    PackFactory(lot=lot, serial="D-1")
    return lot


def verified_lot(alice, volta, pack_model, callbacks):
    """A lot buyers browse: measured through the real pipeline, its sampling plan met."""
    lot = measured_lot(supplier=volta, pack_model=pack_model, soh_values=[90.0], uploader=alice,
                       callbacks=callbacks, with_history=False)  # fmt: skip
    assert lot.status in ("verified", "listed")
    return lot


@pytest.fixture
def listed(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    lot = verified_lot(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks)
    chain(alice, lot)
    return lot


@pytest.fixture
def listed_documents(alice, listed):
    return {
        "published": documented(alice, listed, published=True, name="published.pdf"),
        "unpublished": documented(alice, listed, published=False, name="private.pdf"),
    }


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 200), ("rob", 404), ("bianca", 404)]
)
def test_a_draft_lot_history_is_its_supplier_and_the_auditors(
    request, client, alice, draft, persona, status
):
    chain(alice, draft)
    documented(alice, draft, published=True)
    response = page(client, request.getfixturevalue(persona), f"/lots/{draft.pk}/")
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        assert 'id="documented-history"' in text and "sds.pdf" in text


def test_the_lot_page_draws_the_chain_of_custody_with_its_gap(client, alice, listed):
    text = page(client, alice, f"/lots/{listed.pk}/").content.decode()
    custody = text.split('id="custody"')[1].split('id="timeline"')[0]
    assert custody.count("<svg") == 1 and 'fill="url(#custody-gap)"' in custody
    assert "With Volta Fleet Services on 2024-01-01, with Dismantler X on 2025-01-01" in custody
    assert "CATL" in custody and "Gap: no known holder" in custody
    timeline = text.split('id="timeline"')[1]
    assert "from Dismantler X to ReCell" in timeline and "VIN 1HGCM82633A004352" in timeline


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_which_documents_of_a_listed_lot(request, client, listed, listed_documents,
                                                   persona):  # fmt: skip
    text = page(client, request.getfixturevalue(persona), f"/lots/{listed.pk}/").content.decode()
    assert "Timeline" in text  # anyone who may open a listed lot reads its history
    sees = {
        "alice": {"published.pdf", "private.pdf"},
        "audrey": {"published.pdf", "private.pdf"},
        "bianca": {"published.pdf"},
        "rob": set(),  # another supplier is not a buyer: no documents
    }[persona]
    assert {name for name in ("published.pdf", "private.pdf") if name in text} == sees
    assert ("Add a history event" in text) == (persona == "alice")


DOWNLOAD_CASES = [
    # (persona, document, lot status, expected); "listed" is a lot buyers browse
    ("alice", "unpublished", "listed", 200),
    ("audrey", "unpublished", "listed", 200),
    ("bianca", "published", "listed", 200),
    ("bianca", "unpublished", "listed", 404),
    ("bianca", "published", "draft", 404),
    ("rob", "published", "listed", 404),
    ("rob", "unpublished", "draft", 404),
]


@pytest.mark.parametrize(("persona", "which", "lot_status", "status"), DOWNLOAD_CASES)
@pytest.mark.parametrize("way", ["web", "api"])
def test_downloads_follow_the_same_rules_on_the_web_and_the_api(
    request, client, api, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks,
    persona, which, lot_status, status, way,
):  # fmt: skip
    if lot_status == "draft":
        lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft")
    else:
        lot = verified_lot(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks)
    document = documented(alice, lot, published=which == "published")
    user = request.getfixturevalue(persona)
    if way == "web":
        client.force_login(user)
        response = client.get(reverse("document-download", args=[document.pk]))
    else:
        api.force_authenticate(user)
        response = api.get(reverse("api-document-download", args=[document.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'attachment; filename="sds.pdf"'
        assert b"".join(response.streaming_content).startswith(PDF)


def test_a_missing_document_and_a_hidden_one_answer_alike(client, bianca, alice, draft):
    hidden = documented(alice, draft, published=True)
    client.force_login(bianca)
    assert client.get(f"/documents/{hidden.pk}/download/").status_code == 404
    assert client.get(f"/documents/{hidden.pk + 1000}/download/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, alice, listed, listed_documents):
    published = listed_documents["published"]
    for url in (f"/lots/{listed.pk}/", f"/documents/{published.pk}/download/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_supplier_adds_an_event_with_a_photo_from_the_lot_page(client, alice, draft):
    client.force_login(alice)
    response = client.post(
        f"/lots/{draft.pk}/history/new/",
        {"kind": "accident", "occurred_on": "2023-05-01", "actor": "Volta Fleet Services",
         "notes": "rear impact", "document": png("crash.png"), "document_kind": "photo"},
    )  # fmt: skip
    assert response.status_code == 302
    event = HistoryEvent.objects.get(lot=draft, kind="accident")
    assert event.documents.get().content_type == "image/png"
    text = client.get(f"/lots/{draft.pk}/").content.decode()
    assert "crash.png" in text.split(f'id="event-{event.pk}"')[1].split("</li>")[0]


def test_the_form_shows_the_service_error_on_its_field_and_stores_nothing(client, alice, draft):
    client.force_login(alice)
    before = (HistoryEvent.objects.count(), Document.objects.count())
    response = client.post(
        f"/lots/{draft.pk}/history/new/",
        {"kind": "custody_transfer", "occurred_on": "2023-05-01", "custody_to": "ReCell",
         "document": upload("photo.png", EXE), "document_kind": "photo"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "needs who handed the packs over (from)" in response.content.decode()
    assert (HistoryEvent.objects.count(), Document.objects.count()) == before


def test_a_document_upload_error_is_shown_on_the_file(client, alice, draft):
    client.force_login(alice)
    response = client.post(
        f"/lots/{draft.pk}/documents/new/", {"kind": "photo", "file": pdf("crash.jpg")}
    )
    assert response.status_code == 400
    assert "crash.jpg is really a PDF; a photo must be a PNG, JPEG or WebP image." in (
        response.content.decode()
    )


def test_an_oversized_upload_is_refused_before_it_is_read(client, alice, draft, settings):
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    client.force_login(alice)
    response = client.post(
        f"/lots/{draft.pk}/documents/new/",
        {"kind": "test_report", "file": pdf("big.pdf", extra=b"0" * (3 * 1024 * 1024))},
    )
    assert response.status_code == 400
    assert "the limit is 1 MB" in response.content.decode()
    assert not Document.objects.exists()


def test_draft_events_are_corrected_and_deleted_submitted_ones_never(client, alice, draft,
                                                                     listed):  # fmt: skip
    (made, *_rest) = chain(alice, draft)
    client.force_login(alice)
    response = client.post(
        f"/history/{made.pk}/edit/",
        {"kind": "manufactured", "occurred_on": "2018-02-01", "actor": "CATL Ningde"},
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.occurred_on, made.actor) == (date(2018, 2, 1), "CATL Ningde")
    locked = listed.history.first()
    assert client.get(f"/history/{locked.pk}/edit/").status_code == 302
    client.post(f"/history/{locked.pk}/delete/")
    assert HistoryEvent.objects.filter(pk=locked.pk).exists()


@pytest.mark.parametrize(
    ("persona", "which", "status"),
    [("rob", "listed", 403), ("bianca", "listed", 403), ("rob", "draft", 404),
     ("bianca", "draft", 404)],
)  # fmt: skip
def test_others_cannot_write_to_a_lot_history(request, client, persona, which, status):
    """Forbidden where they may see the lot, not found where they may not."""
    lot = request.getfixturevalue(which)
    client.force_login(request.getfixturevalue(persona))
    before = AuditEntry.objects.count()
    for url in (f"/lots/{lot.pk}/history/new/", f"/lots/{lot.pk}/documents/new/"):
        response = client.post(url, {"kind": "test", "occurred_on": "2025-01-01"})
        assert response.status_code == status
    assert AuditEntry.objects.count() == before


def test_publishing_from_the_page(client, alice, bianca, listed):
    document = documented(alice, listed, published=False)
    client.force_login(bianca)
    assert client.get(f"/documents/{document.pk}/download/").status_code == 404
    client.force_login(alice)
    client.post(f"/documents/{document.pk}/publish/", {"published": "1"})
    client.force_login(bianca)
    assert client.get(f"/documents/{document.pk}/download/").status_code == 200


def test_the_pack_page_shows_the_pack_story_and_its_own_chain(client, alice, volta,
                                                              lfp_telecom_pack):  # fmt: skip
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft",
                     with_history=False)  # fmt: skip
    own, other = PackFactory(lot=lot, serial="OWN-1"), PackFactory(lot=lot, serial="OTHER-1")
    chain(alice, lot, pack=own)
    history_event_add(user=alice, lot=lot, pack=other,
                      fields={"kind": "repair", "occurred_on": date(2024, 6, 1)})  # fmt: skip
    documented(alice, lot, published=False, name="own.pdf", pack=own)
    documented(alice, lot, published=False, name="other.pdf", pack=other)
    text = page(client, alice, f"/packs/{own.pk}/").content.decode()
    section = text.split('id="documented-history"')[1].split('id="history-forms"')[0]
    assert "own.pdf" in section and "other.pdf" not in section and "Repair" not in section
    assert "Dismantler X" in section.split('id="custody"')[1]
    lot_text = page(client, alice, f"/lots/{lot.pk}/").content.decode()
    # The lot's chain is that of the events every pack went through.
    assert "Dismantler X" not in lot_text.split('id="custody"')[1].split('id="timeline"')[0]
    assert "2 packs also have events of their own" in lot_text


def test_raw_test_files_are_linked_for_the_supplier(
    client, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = measured_lot(supplier=volta, pack_model=lfp_telecom_pack, soh_values=[90.0],
                       uploader=alice, callbacks=django_capture_on_commit_callbacks)  # fmt: skip
    record = lot.packs.get().test_records.get()
    text = page(client, alice, f"/lots/{lot.pk}/").content.decode()
    assert reverse("test-record-file", args=[record.pk]) in text


def many_events(alice, lot, packs, count: int, start: int = 0):
    for n in range(start, start + count):
        pack = packs[n % len(packs)]
        event = history_event_add(
            user=alice, lot=lot, pack=pack,
            fields={"kind": "test", "occurred_on": date(2020, 1, 1 + n % 28), "actor": f"Lab {n}"},
        )  # fmt: skip
        document_upload(user=alice, lot=lot, uploaded_file=png(f"p{n}.png", extra=bytes([n])),
                        kind="photo", history_event=event)  # fmt: skip


LOT_PAGE_QUERY_CAP = 30  # the supplier: 28, with its forms and upload tables
PACK_PAGE_QUERY_CAP = 20  # 17


@pytest.mark.parametrize("persona", ["alice", "bianca", "audrey"])
def test_the_lot_page_queries_do_not_grow_with_history_and_documents(
    request, client, alice, listed, django_assert_max_num_queries, persona
):
    packs = [PackFactory(lot=listed, serial=f"Q-{n}") for n in range(3)]
    client.force_login(request.getfixturevalue(persona))
    url = f"/lots/{listed.pk}/"
    many_events(alice, listed, packs, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    many_events(alice, listed, packs, 12, start=2)
    with django_assert_max_num_queries(LOT_PAGE_QUERY_CAP) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_pack_page_queries_do_not_grow_with_history_and_documents(
    client, alice, listed, django_assert_max_num_queries
):
    pack = listed.packs.get()
    client.force_login(alice)
    url = f"/packs/{pack.pk}/"
    many_events(alice, listed, [pack], 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    many_events(alice, listed, [pack], 12, start=2)
    with django_assert_max_num_queries(PACK_PAGE_QUERY_CAP) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
