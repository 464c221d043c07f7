"""Documents as rows and stored files: the content check, storing, publishing, the sweep.

The marketplace's document service wraps these in one transaction with the lot locked and an
audit entry (`marketplace.documents`)."""

import logging
from datetime import timedelta

import filetype
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from core.errors import ApplicationError
from core.files import (
    ORPHAN_GRACE,
    SweepResult,
    storage_orphans_sweep,
    stored_file_discard,
    upload_name,
    uploaded_sha256,
)

from .choices import HISTORY_CLOSED_LOT_STATUSES, DocumentKind
from .domain.documents import (
    Detected,
    document_accept,
    document_file_problem,
    stored_name,
)
from .models import Document, HistoryEvent, Lot, Pack
from .selectors import lot_can_manage

logger = logging.getLogger(__name__)

DOCUMENTS_DIRECTORY = "documents"
SIGNATURE_BYTES = 8192  # what filetype reads of a file to tell what it is


def detected_type(uploaded_file: UploadedFile) -> Detected:
    """What the file's first bytes say it is, whatever its name or the browser declared."""
    uploaded_file.seek(0)
    head = uploaded_file.read(SIGNATURE_BYTES)
    uploaded_file.seek(0)
    found = filetype.guess(head) if head else None
    return Detected(mime=found.mime, extension=found.extension) if found else Detected()


def document_limit_bytes() -> int:
    return settings.DOCUMENT_MAX_UPLOAD_MB * 1024 * 1024


def _already_uploaded(earlier: Document) -> ApplicationError:
    return ApplicationError(
        f"This file was already uploaded as {earlier.original_name} "
        f"({earlier.get_kind_display().lower()}, {earlier.uploaded_at:%Y-%m-%d %H:%M}).",
        field="file",
    )


def document_create_rows(
    *,
    user: AbstractBaseUser,
    lot: Lot,
    uploaded_file: UploadedFile,
    kind: str,
    pack: Pack | None = None,
    history_event: HistoryEvent | None = None,
    published: bool = False,
) -> Document:
    """Check and store one document of `lot`. Callers hold the lot's row locked (so the same
    file sent twice at once is caught) and discard the file if their transaction fails."""
    if not lot_can_manage(user=user, lot=lot):
        raise ApplicationError("Only the supplier of this lot adds its documents.")
    if lot.status in HISTORY_CLOSED_LOT_STATUSES:
        raise ApplicationError(f"Lot {lot.reference} is {lot.status}: it takes no documents.")
    if kind not in DocumentKind.values:
        raise ApplicationError(f"Unknown document kind {kind!r}.", field="kind")
    if history_event is not None:
        if history_event.lot_id != lot.pk:
            raise ApplicationError("That history event is not in this lot.", field="history_event")
        if pack is not None and history_event.pack_id not in (None, pack.pk):
            raise ApplicationError(
                "That history event concerns another pack.", field="history_event"
            )
        pack = pack or history_event.pack
    if pack is not None and pack.lot_id != lot.pk:
        raise ApplicationError(f"Pack {pack.serial} is not in lot {lot.reference}.", field="pack")
    name = upload_name(uploaded_file, default="document")
    detected = detected_type(uploaded_file) if uploaded_file.size else Detected()
    problem = document_file_problem(
        kind=kind,
        name=name,
        size_bytes=uploaded_file.size or 0,
        limit_bytes=document_limit_bytes(),
        detected=detected,
    )
    if problem:
        raise ApplicationError(problem, field="file")
    accepted = document_accept(kind, detected)
    sha256 = uploaded_sha256(uploaded_file)
    earlier = Document.objects.filter(lot=lot, sha256=sha256).first()
    if earlier is not None:
        raise _already_uploaded(earlier)
    document = Document(
        owner_id=lot.supplier_id,
        lot=lot,
        pack=pack,
        history_event=history_event,
        kind=kind,
        original_name=name,
        content_type=accepted.content_type,
        size_bytes=uploaded_file.size,
        sha256=sha256,
        published=published,
        uploaded_by=user,
    )
    document.file.save(stored_name(name, accepted.extension), uploaded_file, save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError as exc:
        document_file_discard(document)
        earlier = Document.objects.filter(lot=lot, sha256=sha256).first()
        if earlier is None:
            raise
        raise _already_uploaded(earlier) from exc
    except BaseException:
        document_file_discard(document)
        raise
    return document


def document_file_discard(document: Document) -> None:
    """Remove the stored file of a document whose row is being rolled back."""
    stored_file_discard(document.file)


def document_publish_rows(
    *, user: AbstractBaseUser, document: Document, published: bool
) -> Document:
    """The supplier shows a document to buyers (of a verified or listed lot), or stops."""
    if not lot_can_manage(user=user, lot=document.lot):
        raise ApplicationError("Only the supplier of this lot publishes its documents.")
    Document.objects.filter(pk=document.pk).update(published=published)
    document.published = published
    return document


def documents_orphans_sweep(
    *, older_than: timedelta = ORPHAN_GRACE, dry_run: bool = False
) -> SweepResult:
    """Stored documents no row names (their upload rolled back, or its commit was lost)."""
    return storage_orphans_sweep(
        model=Document,
        field="file",
        directory=DOCUMENTS_DIRECTORY,
        older_than=older_than,
        dry_run=dry_run,
    )
