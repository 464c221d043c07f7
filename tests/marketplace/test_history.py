"""The history and document services: one check for web and API, clear errors, nothing left
behind by a refusal, drafts edited freely, submitted lots only added to (and audited, and
re-routed by a safety event)."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import ApplicationError
from marketplace.history import (
    document_publish,
    document_upload,
    history_event_add,
    history_event_edit,
    history_event_remove,
)
from marketplace.lifecycle import lot_scope
from suppliers.documents import documents_orphans_sweep
from suppliers.models import Document, HistoryEvent
from tests.documents import EXE, PDF, pdf, png, upload
from tests.factories import LotFactory, PackFactory

MADE = {"kind": "manufactured", "occurred_on": date(2018, 1, 1), "actor": "CATL"}


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status="draft", with_history=False
    )
    PackFactory(lot=lot, serial="P-1")
    PackFactory(lot=lot, serial="P-2")
    return lot


@pytest.fixture
def submitted(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="submitted")
    PackFactory(lot=lot, serial="S-1")
    return lot


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "documents"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def counts():
    return (
        HistoryEvent.objects.count(),
        Document.objects.count(),
        AuditEntry.objects.count(),
        len(stored_files()),
    )


def refused(call, message: str, field: str | None = None):
    before = counts()
    with pytest.raises(ApplicationError) as caught:
        call()
    assert message in caught.value.message
    if field is not None:
        assert caught.value.field == field
    assert counts() == before, "a refusal leaves no row, audit entry or file behind"
    return caught.value


def add(user, lot, pack=None, documents=(), **fields):
    return history_event_add(user=user, lot=lot, pack=pack, fields=fields, documents=documents)


def test_an_event_is_added_with_its_document_and_audited(alice, draft):
    event = add(alice, draft, documents=[{"file": pdf(), "kind": "safety_data_sheet"}], **MADE)
    document = event.documents.get()
    assert (document.kind, document.content_type, document.owner) == (
        "safety_data_sheet", "application/pdf", draft.supplier,
    )  # fmt: skip
    assert document.size_bytes == len(PDF) and len(document.sha256) == 64
    actions = list(
        AuditEntry.objects.filter(scope=lot_scope(draft.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions.index("history.add") + 1 == actions.index("document.upload")


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"kind": "removed", "occurred_on": date(2017, 1, 1)},
         "is before the packs were made (2018-01-01)", "occurred_on"),
        ({"kind": "storage", "occurred_on": timezone.localdate() + timedelta(days=1)},
         "is in the future", "occurred_on"),
        ({"kind": "custody_transfer", "occurred_on": date(2020, 1, 1)},
         "needs who handed the packs over (from) and who took them (to)", "custody_from"),
        ({"kind": "custody_transfer", "occurred_on": date(2020, 1, 1), "custody_from": "CATL"},
         "needs who took the packs (to)", "custody_to"),
        ({"kind": "custody_transfer", "occurred_on": date(2024, 1, 1), "custody_from": "X",
          "custody_to": "Y"}, "is from X, but the transfer before it", "custody_from"),
        ({"kind": "manufactured", "occurred_on": date(2019, 1, 1)},
         "The packs can only be made once.", "kind"),
        ({"kind": "storage", "occurred_on": date(2020, 1, 1), "custody_to": "Y"},
         "Only a custody transfer names", "custody_from"),
        ({"kind": "volcano", "occurred_on": date(2020, 1, 1)}, "Unknown history event", "kind"),
        ({"kind": "in_service", "occurred_on": date(2019, 1, 1), "vin": "VIN-1"},
         "is not a vehicle identification number", "vin"),
    ],
)  # fmt: skip
def test_incoherent_events_are_refused_with_what_is_wrong(alice, draft, fields, message, field):
    add(alice, draft, **MADE)
    add(alice, draft, kind="custody_transfer", occurred_on=date(2019, 1, 1),
        custody_from="CATL", custody_to="Volta")  # fmt: skip
    refused(lambda: add(alice, draft, **fields), message, field)


def test_a_refused_event_leaves_its_documents_unstored(alice, draft):
    add(alice, draft, **MADE)
    refused(
        lambda: add(alice, draft, kind="removed", occurred_on=date(2000, 1, 1),
                    documents=[{"file": pdf(), "kind": "test_report"}]),
        "before the packs were made",
    )  # fmt: skip


def test_a_second_refused_document_takes_the_first_with_it(alice, draft):
    refused(
        lambda: add(alice, draft, **MADE, documents=[
            {"file": pdf(), "kind": "test_report"},
            {"file": upload("setup.pdf", EXE), "kind": "other"},
        ]),
        "setup.pdf is really a Windows program (EXE)",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("make", "kind", "message"),
    [
        (lambda: upload("sds.pdf", EXE), "safety_data_sheet",
         "sds.pdf is really a Windows program (EXE), not a PDF, PNG, JPEG or WebP file"),
        (lambda: upload("fake.pdf", b"just text pretending"), "safety_data_sheet",
         "fake.pdf is not a PDF, PNG, JPEG or WebP file"),
        (lambda: pdf("crash.png"), "photo", "crash.png is really a PDF; a photo must be"),
        (lambda: upload("empty.pdf", b""), "other", "empty.pdf is empty."),
    ],
)  # fmt: skip
def test_bad_documents_are_refused_from_their_content(alice, draft, make, kind, message):
    refused(
        lambda: document_upload(user=alice, lot=draft, uploaded_file=make(), kind=kind),
        message,
        "file",
    )


def test_an_oversized_document_is_refused_with_the_limit(alice, draft, settings):
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    big = pdf("big.pdf", extra=b"0" * (1024 * 1024))
    refused(
        lambda: document_upload(user=alice, lot=draft, uploaded_file=big, kind="test_report"),
        "big.pdf is 1.0 MB; documents are limited to 1 MB.",
        "file",
    )


def test_a_pdf_named_png_is_stored_as_the_pdf_it_is(alice, draft):
    document = document_upload(
        user=alice, lot=draft, uploaded_file=pdf("summary.png"), kind="un38_3_summary"
    )
    assert document.content_type == "application/pdf"
    assert document.original_name == "summary.png" and document.file.name.endswith(".pdf")


def test_the_same_file_twice_on_one_lot_is_refused_naming_the_first(alice, draft, submitted):
    document_upload(user=alice, lot=draft, uploaded_file=pdf("first.pdf"), kind="test_report")
    refused(
        lambda: document_upload(
            user=alice, lot=draft, uploaded_file=pdf("again.pdf"), kind="other"
        ),
        "This file was already uploaded as first.pdf (test report,",
        "file",
    )
    # Another lot may hold the same file.
    document_upload(user=alice, lot=submitted, uploaded_file=pdf("first.pdf"), kind="other")


def test_only_the_supplier_records_history_and_documents(rob, bianca, audrey, draft):
    for user in (rob, bianca, audrey):
        refused(lambda user=user: add(user, draft, **MADE), "Only the supplier of this lot")
        refused(
            lambda user=user: document_upload(
                user=user, lot=draft, uploaded_file=pdf(), kind="other"
            ),
            "Only the supplier of this lot",
        )


def test_a_pack_of_another_lot_is_refused(alice, draft, submitted):
    other = submitted.packs.get()
    refused(lambda: add(alice, draft, pack=other, **MADE), "is not in lot", "pack")


def test_a_draft_event_is_corrected_and_deleted_with_its_documents_kept(alice, draft):
    event = add(alice, draft, **MADE, documents=[{"file": png(), "kind": "photo"}])
    pack = draft.packs.get(serial="P-1")
    history_event_edit(user=alice, event=event, pack=pack, fields={**MADE, "actor": "CATL Ltd"})
    event.refresh_from_db()
    assert (event.actor, event.pack) == ("CATL Ltd", pack)
    assert event.documents.get().pack == pack  # the document follows its event
    history_event_remove(user=alice, event=event)
    assert not HistoryEvent.objects.filter(lot=draft).exists()
    document = Document.objects.get(lot=draft)
    assert document.history_event is None and document.file.storage.exists(document.file.name)
    actions = set(
        AuditEntry.objects.filter(scope=lot_scope(draft.pk)).values_list("action", flat=True)
    )
    assert {"history.add", "history.edit", "history.delete"} <= actions


def test_deleting_an_event_that_holds_the_chain_together_is_refused(alice, draft):
    for giver, taker, year in (("A", "B", 2019), ("B", "C", 2020), ("C", "D", 2021)):
        add(alice, draft, kind="custody_transfer", occurred_on=date(year, 1, 1),
            custody_from=giver, custody_to=taker)  # fmt: skip
    middle = draft.history.get(custody_from="B")
    refused(
        lambda: history_event_remove(user=alice, event=middle),
        "Deleting this event would leave the history incoherent: The custody transfer on "
        "2021-01-01 is from C",
    )


def test_after_submission_events_are_only_added_and_audited(alice, submitted):
    event = submitted.history.first()
    refused(
        lambda: history_event_edit(user=alice, event=event, pack=None, fields=MADE),
        "its history is evidence now, and events are only added",
    )
    refused(lambda: history_event_remove(user=alice, event=event), "events are only added")
    added = add(alice, submitted, kind="test", occurred_on=date(2025, 7, 1), actor="TÜV")
    entry = AuditEntry.objects.get(action="history.add", object_id=str(added.pk))
    assert entry.scope == lot_scope(submitted.pk)
    assert entry.reason == "added while the lot was submitted"
    assert entry.after["actor"] == "TÜV"


def test_a_safety_event_after_submission_reroutes_the_lot_to_recycling(alice, submitted):
    submitted.refresh_from_db()
    add(alice, submitted, kind="thermal_event", occurred_on=date(2025, 7, 1))
    submitted.summary.refresh_from_db()
    assert submitted.summary.route == "recycle"
    decision = AuditEntry.objects.filter(
        scope=lot_scope(submitted.pk), action="routing.decision"
    ).last()
    assert decision.after["route"] == "recycle"


def test_closed_lots_take_no_history(alice, volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="withdrawn")
    refused(lambda: add(alice, lot, kind="test", occurred_on=date(2025, 1, 1)),
            "its history is closed")  # fmt: skip


def test_publishing_is_audited_once_per_change(alice, rob, draft):
    document = document_upload(user=alice, lot=draft, uploaded_file=pdf(), kind="other")
    document_publish(user=alice, document=document, published=True)
    document_publish(user=alice, document=document, published=True)
    assert AuditEntry.objects.filter(action="document.publish").count() == 1
    refused(lambda: document_publish(user=rob, document=document, published=False),
            "Only the supplier of this lot publishes")  # fmt: skip
    document.refresh_from_db()
    assert document.published


def test_orphaned_document_files_are_swept_and_named_ones_kept(alice, draft):
    kept = document_upload(user=alice, lot=draft, uploaded_file=pdf(), kind="other")
    orphan = kept.file.storage.save("documents/2020/01/orphan.pdf", pdf("orphan.pdf"))
    assert documents_orphans_sweep(older_than=timedelta(hours=1)).files_removed == 0  # too new
    result = documents_orphans_sweep(older_than=timedelta(0))
    assert result.files_removed >= 1  # this one, and any left by earlier tests' rollbacks
    assert not kept.file.storage.exists(orphan) and kept.file.storage.exists(kept.file.name)


def test_the_buyers_history_flags_follow_each_event(alice, draft):
    add(alice, draft, **MADE)
    draft.refresh_from_db()
    # CATL made them and holds them still, as far as the record says: a complete chain.
    assert (draft.summary.safety_events, draft.summary.custody_complete) == (0, True)
    add(alice, draft, kind="removed", occurred_on=date(2024, 1, 1), actor="Fleet AB")
    draft.refresh_from_db()
    assert draft.summary.custody_complete is False  # how Fleet AB got them is not recorded
    add(alice, draft, kind="thermal_event", occurred_on=date(2023, 5, 1),
        pack=draft.packs.get(serial="P-2"))  # fmt: skip
    draft.refresh_from_db()
    assert draft.summary.safety_events == 1
