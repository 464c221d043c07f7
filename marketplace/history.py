"""A lot's documented history and its documents, as the supplier records them.

Each write locks the lot, goes through the suppliers app's one check of the history (or of the
file), leaves an audit entry in the lot's trail and re-routes the lot: routing reads the
history (a safety event recycles a lot, no history holds it, the manufacture date decides
calendar expiry), so an event added after submission can change where the lot goes. The web
pages and the API call these functions and nothing else."""

from collections.abc import Sequence
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audit.services import AuditInput, audit_record, audit_record_many
from suppliers.choices import ROUTING_EVENT_NAMES, LotStatus
from suppliers.documents import (
    document_create_rows,
    document_file_discard,
    document_publish_rows,
)
from suppliers.history import (
    HistoryInput,
    history_event_create_rows,
    history_event_delete_rows,
    history_event_update_rows,
)
from suppliers.models import Document, HistoryEvent, Lot, Pack

from .lifecycle import lot_scope
from .pipeline import lot_refresh


class DocumentInput(TypedDict, total=False):
    file: UploadedFile
    kind: str
    published: bool


def _locked(lot_id: int) -> Lot:
    return Lot.objects.select_for_update(of=("self",)).select_related("supplier").get(pk=lot_id)


def _event_values(event: HistoryEvent) -> dict:
    return {
        "kind": event.kind,
        "occurred_on": event.occurred_on,
        "pack": event.pack.serial if event.pack_id else None,
        "actor": event.actor,
        "vin": event.vin,
        "custody_from": event.custody_from,
        "custody_to": event.custody_to,
        "notes": event.notes,
    }


def _document_audit(user: AbstractBaseUser, document: Document) -> AuditInput:
    return AuditInput(
        actor=user,
        action="document.upload",
        object_type="document",
        object_id=document.pk,
        after={
            "file": document.original_name,
            "kind": document.kind,
            "content_type": document.content_type,
            "size_bytes": document.size_bytes,
            "sha256": document.sha256,
            "pack": document.pack.serial if document.pack_id else None,
            "history_event": document.history_event_id,
            "published": document.published,
        },
        scope=lot_scope(document.lot_id),
    )


def _refresh_reason(verb: str, event: HistoryEvent) -> str:
    what = f"{event.get_kind_display().lower()} on {event.occurred_on:%Y-%m-%d}"
    if event.kind in ROUTING_EVENT_NAMES:
        what += " (a safety event)"
    return f"history {verb}: {what}"


def history_event_add(
    *,
    user: AbstractBaseUser,
    lot: Lot,
    pack: Pack | None = None,
    fields: HistoryInput,
    documents: Sequence[DocumentInput] = (),
) -> HistoryEvent:
    """Add an event (to every pack of the lot, or to `pack`) with its documents. After
    submission this is the only change a history takes, and it is in the lot's trail."""
    stored: list[Document] = []
    with transaction.atomic():
        lot = _locked(lot.pk)
        try:
            event = history_event_create_rows(user=user, lot=lot, pack=pack, fields=fields)
            for document in documents:
                stored.append(
                    document_create_rows(
                        user=user,
                        lot=lot,
                        uploaded_file=document["file"],
                        kind=document["kind"],
                        history_event=event,
                        published=document.get("published", False),
                    )
                )
            submitted = lot.status != LotStatus.DRAFT
            audit_record_many(
                entries=[
                    AuditInput(
                        actor=user,
                        action="history.add",
                        object_type="history_event",
                        object_id=event.pk,
                        after={**_event_values(event), "documents": [d.pk for d in stored]},
                        reason=f"added while the lot was {lot.status}" if submitted else "",
                        scope=lot_scope(lot.pk),
                    ),
                    *(_document_audit(user, document) for document in stored),
                ]
            )
            lot_refresh(lot_id=lot.pk, reason=_refresh_reason("added", event))
        except BaseException:
            for document in stored:
                document_file_discard(document)
            raise
    return event


@transaction.atomic
def history_event_edit(
    *, user: AbstractBaseUser, event: HistoryEvent, pack: Pack | None, fields: HistoryInput
) -> HistoryEvent:
    """Correct an event while its lot is a draft."""
    _locked(event.lot_id)
    event = HistoryEvent.objects.select_related("pack", "lot__supplier").get(pk=event.pk)
    before = _event_values(event)
    event = history_event_update_rows(user=user, event=event, pack=pack, fields=fields)
    audit_record(
        actor=user,
        action="history.edit",
        object_type="history_event",
        object_id=event.pk,
        before=before,
        after=_event_values(event),
        scope=lot_scope(event.lot_id),
    )
    lot_refresh(lot_id=event.lot_id, reason=_refresh_reason("corrected", event))
    return event


@transaction.atomic
def history_event_remove(*, user: AbstractBaseUser, event: HistoryEvent) -> None:
    """Delete an event while its lot is a draft; its documents stay with the lot."""
    _locked(event.lot_id)
    event = HistoryEvent.objects.select_related("pack", "lot__supplier").get(pk=event.pk)
    before, event_id = _event_values(event), event.pk
    history_event_delete_rows(user=user, event=event)
    audit_record(
        actor=user,
        action="history.delete",
        object_type="history_event",
        object_id=event_id,
        before=before,
        scope=lot_scope(event.lot_id),
    )
    lot_refresh(lot_id=event.lot_id, reason=_refresh_reason("deleted", event))


def document_upload(
    *,
    user: AbstractBaseUser,
    lot: Lot,
    uploaded_file: UploadedFile,
    kind: str,
    pack: Pack | None = None,
    history_event: HistoryEvent | None = None,
    published: bool = False,
) -> Document:
    """Store a document for the lot, one of its packs or one of its history events.

    A failure after the file was written removes the file with the rolled-back row; a commit
    lost with the connection cannot tell, so its file is left to the orphan sweep."""
    with transaction.atomic():
        lot = _locked(lot.pk)
        document = document_create_rows(
            user=user,
            lot=lot,
            uploaded_file=uploaded_file,
            kind=kind,
            pack=pack,
            history_event=history_event,
            published=published,
        )
        try:
            audit_record_many(entries=[_document_audit(user, document)])
        except BaseException:
            document_file_discard(document)
            raise
    return document


@transaction.atomic
def document_publish(*, user: AbstractBaseUser, document: Document, published: bool) -> Document:
    """Show a document to buyers of the lot once it is verified or listed, or stop showing it."""
    _locked(document.lot_id)
    before = Document.objects.values_list("published", flat=True).get(pk=document.pk)
    document = document_publish_rows(user=user, document=document, published=published)
    if before != published:
        audit_record(
            actor=user,
            action="document.publish" if published else "document.unpublish",
            object_type="document",
            object_id=document.pk,
            before={"published": before},
            after={"published": published, "file": document.original_name},
            scope=lot_scope(document.lot_id),
        )
    return document
