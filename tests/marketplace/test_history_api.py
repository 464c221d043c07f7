"""GET/POST /api/lots/{id}/history/ and /documents/: the web pages' service and permissions."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from marketplace.history import document_upload, history_event_add
from suppliers.models import Document, HistoryEvent
from tests.documents import EXE, pdf, upload
from tests.factories import LotFactory, PackFactory, measured_lot


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft")
    PackFactory(lot=lot, serial="API-1")
    return lot


@pytest.fixture
def browsable(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    return measured_lot(supplier=volta, pack_model=lfp_telecom_pack, soh_values=[90.0],
                        uploader=alice, callbacks=django_capture_on_commit_callbacks)  # fmt: skip


def test_the_supplier_adds_an_event_to_one_pack_and_reads_it_back(api, alice, draft):
    pack = draft.packs.get()
    api.force_authenticate(alice)
    response = api.post(
        f"/api/lots/{draft.pk}/history/",
        {"kind": "custody_transfer", "occurred_on": "2025-07-01", "pack": pack.pk,
         "custody_from": "Volta Fleet Services", "custody_to": "ReCell"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["pack_serial"] == "API-1"
    listed = api.get(f"/api/lots/{draft.pk}/history/").json()
    assert [e["kind"] for e in listed["results"]] == ["manufactured", "removed", "custody_transfer"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "removed", "occurred_on": "2010-01-01"}, "occurred_on",
         "before the packs were made (2018-01-01)"),
        ({"kind": "storage", "occurred_on": str(timezone.localdate() + timedelta(days=2))},
         "occurred_on", "is in the future"),
        ({"kind": "custody_transfer", "occurred_on": "2025-07-01", "custody_to": "ReCell"},
         "custody_from", "needs who handed the packs over (from)"),
        ({"kind": "test", "occurred_on": "2025-07-01", "pack": 999999}, "pack", "has no pack"),
        ({"kind": "volcano", "occurred_on": "2025-07-01"}, "kind", "not a valid choice"),
    ],
)  # fmt: skip
def test_the_api_refuses_what_the_form_refuses(api, alice, draft, body, field, message):
    api.force_authenticate(alice)
    before = HistoryEvent.objects.count()
    response = api.post(f"/api/lots/{draft.pk}/history/", body, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert HistoryEvent.objects.count() == before


def test_documents_upload_as_multipart_and_bad_ones_are_named(api, alice, draft):
    api.force_authenticate(alice)
    event = draft.history.first()
    response = api.post(
        f"/api/lots/{draft.pk}/documents/",
        {"file": pdf("un383.pdf"), "kind": "un38_3_summary", "history_event": event.pk},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == "application/pdf" and body["history_event"] == event.pk
    assert body["download_url"] == f"/api/documents/{body['id']}/download/"
    again = api.post(f"/api/lots/{draft.pk}/documents/",
                     {"file": pdf("copy.pdf"), "kind": "other"}, format="multipart")  # fmt: skip
    assert "already uploaded as un383.pdf" in again.json()["file"][0]
    fake = api.post(f"/api/lots/{draft.pk}/documents/",
                    {"file": upload("sds.pdf", EXE), "kind": "safety_data_sheet"},
                    format="multipart")  # fmt: skip
    assert fake.status_code == 400
    assert "really a Windows program (EXE)" in fake.json()["file"][0]
    assert Document.objects.count() == 1
    history = api.get(f"/api/lots/{draft.pk}/history/").json()["results"]
    assert [d["original_name"] for e in history for d in e["documents"]] == ["un383.pdf"]


@pytest.mark.parametrize(
    ("persona", "lot", "read", "write"),
    [
        ("alice", "draft", 200, 201),
        ("audrey", "draft", 200, 403),
        ("rob", "draft", 404, 404),
        ("bianca", "draft", 404, 404),
        ("rob", "browsable", 200, 403),
        ("bianca", "browsable", 200, 403),
    ],
)
def test_who_reads_and_writes_a_lot_history(request, api, persona, lot, read, write):
    lot = request.getfixturevalue(lot)
    api.force_authenticate(request.getfixturevalue(persona))
    assert api.get(f"/api/lots/{lot.pk}/history/").status_code == read
    assert api.get(f"/api/lots/{lot.pk}/documents/").status_code == read
    response = api.post(f"/api/lots/{lot.pk}/history/",
                        {"kind": "test", "occurred_on": "2025-07-01"}, format="json")  # fmt: skip
    assert response.status_code == write


def test_buyers_list_only_published_documents_of_browsable_lots(api, alice, bianca, rob,
                                                                browsable):  # fmt: skip
    event = history_event_add(user=alice, lot=browsable,
                              fields={"kind": "test", "occurred_on": date(2025, 7, 1)})  # fmt: skip
    for name, published in (("public.pdf", True), ("private.pdf", False)):
        document_upload(user=alice, lot=browsable, uploaded_file=pdf(name, extra=name.encode()),
                        kind="test_report", published=published, history_event=event)  # fmt: skip
    seen = {}
    for user in (alice, bianca, rob):
        api.force_authenticate(user)
        names = [d["original_name"] for d in
                 api.get(f"/api/lots/{browsable.pk}/documents/").json()["results"]]  # fmt: skip
        in_history = [d["original_name"] for e in
                      api.get(f"/api/lots/{browsable.pk}/history/").json()["results"]
                      for d in e["documents"]]  # fmt: skip
        assert sorted(names) == sorted(in_history)
        seen[user.username] = sorted(names)
    assert seen == {"alice": ["private.pdf", "public.pdf"], "bianca": ["public.pdf"], "rob": []}


def test_anonymous_clients_are_refused(api, draft):
    assert api.get(f"/api/lots/{draft.pk}/history/").status_code in (401, 403)
    assert api.get("/api/documents/1/download/").status_code in (401, 403)


def test_the_schema_documents_the_history_and_document_endpoints(api, alice):
    api.force_authenticate(alice)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/lots/{id}/history/"])
    assert (
        "multipart/form-data"
        in (paths["/api/lots/{id}/documents/"]["post"]["requestBody"]["content"])
    )
    assert "get" in paths["/api/documents/{id}/download/"]


def test_the_supplier_publishes_a_document_through_the_api(api, alice, rob, bianca, browsable):
    document = document_upload(user=alice, lot=browsable, uploaded_file=pdf(),
                               kind="safety_data_sheet")  # fmt: skip
    url = f"/api/documents/{document.pk}/"
    api.force_authenticate(bianca)
    assert api.get(url).status_code == 404  # not published: buyers are told nothing of it
    api.force_authenticate(rob)
    assert api.patch(url, {"published": True}, format="json").status_code == 404
    api.force_authenticate(alice)
    assert api.patch(url, {"published": "maybe"}, format="json").status_code == 400
    response = api.patch(url, {"published": True}, format="json")
    assert response.status_code == 200 and response.json()["published"] is True
    assert AuditEntry.objects.filter(action="document.publish", object_id=str(document.pk)).exists()
    api.force_authenticate(bianca)
    assert api.get(url).json()["original_name"] == document.original_name
    assert api.patch(url, {"published": False}, format="json").status_code == 403
    assert Document.objects.get(pk=document.pk).published is True
