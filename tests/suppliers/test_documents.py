"""Documents in the admin (shown, never edited, the file offered through the download view)
and moved with their packs when packs change lot."""

from datetime import date

import pytest

from marketplace.history import document_upload, history_event_add
from suppliers.models import Document
from suppliers.services import packs_move
from tests.documents import pdf, png
from tests.factories import LotFactory, PackFactory


@pytest.fixture
def lot(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft")
    PackFactory(lot=lot, serial="M-1")
    PackFactory(lot=lot, serial="M-2")
    return lot


def test_documents_are_shown_in_the_admin_but_never_added_changed_or_deleted(
    client, alice, audrey, lot
):
    document = document_upload(user=alice, lot=lot, uploaded_file=pdf(), kind="other")
    client.force_login(audrey)
    assert client.get("/admin/suppliers/document/").status_code == 200
    page = client.get(f"/admin/suppliers/document/{document.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"/documents/{document.pk}/download/" in text and "/media/" not in text
    assert 'name="_save"' not in text
    assert client.get("/admin/suppliers/document/add/").status_code == 403
    response = client.post(f"/admin/suppliers/document/{document.pk}/change/", {"published": "on"})
    assert response.status_code == 403
    assert client.post(
        f"/admin/suppliers/document/{document.pk}/delete/", {"post": "yes"}
    ).status_code == 403  # fmt: skip
    assert Document.objects.filter(pk=document.pk, published=False).exists()


def test_moved_packs_take_their_documents_and_share_the_lot_wide_ones(alice, lot):
    moving, staying = lot.packs.get(serial="M-1"), lot.packs.get(serial="M-2")
    shared_event = history_event_add(
        user=alice, lot=lot, fields={"kind": "test", "occurred_on": date(2025, 1, 1)}
    )
    shared = document_upload(user=alice, lot=lot, uploaded_file=pdf("lot.pdf"), kind="test_report",
                             history_event=shared_event)  # fmt: skip
    own = document_upload(user=alice, lot=lot, uploaded_file=png("m1.png"), kind="photo",
                          pack=moving)  # fmt: skip
    document_upload(user=alice, lot=lot, uploaded_file=png("m2.png", extra=b"2"), kind="photo",
                    pack=staying)  # fmt: skip
    sub_lot = LotFactory(supplier=lot.supplier, pack_model=lot.pack_model, status="draft",
                         with_history=False)  # fmt: skip
    packs_move(pack_ids=[moving.pk], to_lot=sub_lot,
               lot_events=list(lot.history.filter(pack__isnull=True)))  # fmt: skip
    own.refresh_from_db()
    assert own.lot == sub_lot
    copy = sub_lot.documents.get(pack__isnull=True)
    assert copy.file.name == shared.file.name and copy.sha256 == shared.sha256
    assert copy.history_event.lot == sub_lot and copy.history_event.kind == "test"
    assert sorted(lot.documents.values_list("original_name", flat=True)) == ["lot.pdf", "m2.png"]
