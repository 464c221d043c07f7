"""A lot's documented history on its pages: the timeline, the chain of custody, documents,
and the supplier's forms to add to them. Each view validates its input and calls one service
of `marketplace.history`."""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from suppliers.choices import HISTORY_CLOSED_LOT_STATUSES, LotStatus
from suppliers.custody_chart import custody_bar
from suppliers.domain.custody import CustodyChain, CustodyEvent, custody_chain
from suppliers.domain.documents import ALLOWED, stored_name
from suppliers.forms import EVENT_FORM_FIELDS, DocumentForm, HistoryEventForm
from suppliers.models import Document, HistoryEvent, Lot, Pack
from suppliers.selectors import document_list_visible, lot_can_manage
from verification.views import upload_too_large

from ..history import (
    document_publish,
    document_upload,
    history_event_add,
    history_event_edit,
    history_event_remove,
)
from ..selectors import document_visible, lots_visible


@dataclass(frozen=True)
class TimelineEntry:
    event: HistoryEvent
    documents: list[Document]


def lot_chain(events: list[HistoryEvent]) -> CustodyChain:
    return custody_chain(
        (
            CustodyEvent(
                kind=e.kind,
                occurred_on=e.occurred_on,
                actor=e.actor,
                custody_from=e.custody_from,
                custody_to=e.custody_to,
            )
            for e in events
        ),
        today=timezone.localdate(),
    )


def history_context(
    request, lot: Lot, *, pack: Pack | None = None, can_manage: bool | None = None
) -> dict:
    """What the history section of a lot's page (or of one pack's) shows this user: every
    event with the documents the user may see, the chain of custody, and for the supplier
    the forms to add to them. The page itself is only shown to those who may see the lot;
    `can_manage`, where the page knows it already, saves asking again."""
    events = HistoryEvent.objects.filter(lot=lot).select_related("pack")
    documents = document_list_visible(user=request.user).filter(lot=lot)
    if pack is not None:
        events = events.filter(Q(pack__isnull=True) | Q(pack=pack))
        documents = documents.filter(Q(pack__isnull=True) | Q(pack=pack))
    events, documents = list(events), list(documents)
    by_event: dict[int | None, list[Document]] = defaultdict(list)
    for document in documents:
        by_event[document.history_event_id].append(document)
    # The lot's chain is that of the events every pack went through; a pack's adds its own.
    chain_events = [e for e in events if pack is not None or e.pack_id is None]
    chain = lot_chain(chain_events)
    if can_manage is None:
        can_manage = lot_can_manage(user=request.user, lot=lot)
    context = {
        "timeline": [TimelineEntry(e, by_event.get(e.pk, [])) for e in events],
        "loose_documents": by_event.get(None, []),
        "custody": chain,
        "custody_bar": custody_bar(chain),
        "packs_with_own_events": len({e.pack_id for e in events if e.pack_id}),
        "history_pack": pack,
        "history_can_manage": can_manage,
        "history_editable": can_manage and lot.status == LotStatus.DRAFT,
    }
    if can_manage and lot.status not in HISTORY_CLOSED_LOT_STATUSES:
        initial = {"pack": pack.pk} if pack is not None else None
        context["history_form"] = HistoryEventForm(lot=lot, initial=initial)
        context["document_form"] = DocumentForm(lot=lot, initial=initial)
    return context


def _visible_lot(request, pk: int) -> Lot:
    return get_object_or_404(lots_visible(user=request.user), pk=pk)


def _managed_lot(request, pk: int) -> Lot:
    """The lot, for its supplier; a lot the user cannot see is not found, one they see but do
    not supply is forbidden."""
    lot = _visible_lot(request, pk)
    if not lot_can_manage(user=request.user, lot=lot):
        raise PermissionDenied("Only the supplier of this lot records its history.")
    return lot


def _field_error(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _back(lot: Lot, pack: Pack | None):
    if pack is not None:
        return redirect("pack-detail", pack.pk)
    return redirect(lot)


def _form_page(
    request, lot: Lot, form, *, title: str, action: str, status: int = 200, error: str = ""
):
    return render(
        request,
        "suppliers/history_form.html",
        {"lot": lot, "form": form, "title": title, "action": action, "error": error},
        status=status,
    )


@csrf_exempt  # checked by _history_event_new once the body is known to be within the limit
@login_required
def history_event_new(request, pk: int):
    lot = _managed_lot(request, pk)
    if request.method == "POST":
        too_large = upload_too_large(request, limit_mb=settings.DOCUMENT_MAX_UPLOAD_MB)
        if too_large:
            # Nothing is read, so no CSRF token is needed to refuse.
            return _form_page(request, lot, HistoryEventForm(lot=lot), title="Add a history event",
                              action=request.path, status=400, error=too_large)  # fmt: skip
    return _history_event_new(request, lot)


@csrf_protect
def _history_event_new(request, lot: Lot):
    form = HistoryEventForm(request.POST or None, request.FILES or None, lot=lot)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        documents = []
        if data["document"]:
            documents.append(
                {
                    "file": data["document"],
                    "kind": data["document_kind"] or "other",
                    "published": data["publish_document"],
                }
            )
        try:
            event = history_event_add(
                user=request.user,
                lot=lot,
                pack=data["pack"],
                fields=form.history_fields(),
                documents=documents,
            )
        except ApplicationError as exc:
            if exc.field == "file":
                form.add_error("document", exc.message)
            else:
                _field_error(form, exc)
        else:
            messages.success(request, f"{event.get_kind_display()} on {event.occurred_on} added.")
            return _back(lot, data["pack"])
    status = 400 if request.method == "POST" else 200
    return _form_page(request, lot, form, title="Add a history event", action=request.path,
                      status=status)  # fmt: skip


def _draft_event(request, pk: int) -> HistoryEvent:
    event = get_object_or_404(HistoryEvent.objects.select_related("lot__supplier", "pack"), pk=pk)
    _managed_lot(request, event.lot_id)
    return event


@login_required
def history_event_change(request, pk: int):
    """Correct an event of a draft lot (after submission events are only added)."""
    event = _draft_event(request, pk)
    lot = event.lot
    if lot.status != LotStatus.DRAFT:
        messages.error(
            request, "Once a lot is submitted its history is only added to, never changed."
        )
        return redirect(lot)
    initial = {name: getattr(event, name) for name in EVENT_FORM_FIELDS}
    initial["pack"] = event.pack_id
    form = HistoryEventForm(request.POST or None, lot=lot, initial=initial)
    form.fields.pop("document"), form.fields.pop("document_kind")
    form.fields.pop("publish_document")
    if request.method == "POST" and form.is_valid():
        try:
            history_event_edit(
                user=request.user,
                event=event,
                pack=form.cleaned_data["pack"],
                fields=form.history_fields(),
            )
        except ApplicationError as exc:
            _field_error(form, exc)
        else:
            messages.success(request, "History event corrected.")
            return _back(lot, form.cleaned_data["pack"])
    status = 400 if request.method == "POST" else 200
    return _form_page(request, lot, form, title=f"Correct: {event}", action=request.path,
                      status=status)  # fmt: skip


@login_required
@require_POST
def history_event_delete(request, pk: int):
    event = _draft_event(request, pk)
    try:
        history_event_remove(user=request.user, event=event)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{event} deleted.")
    return redirect(event.lot)


@csrf_exempt  # checked by _document_new once the body is known to be within the limit
@login_required
def document_new(request, pk: int):
    lot = _managed_lot(request, pk)
    if request.method == "POST":
        too_large = upload_too_large(request, limit_mb=settings.DOCUMENT_MAX_UPLOAD_MB)
        if too_large:
            return _form_page(request, lot, DocumentForm(lot=lot), title="Add a document",
                              action=request.path, status=400, error=too_large)  # fmt: skip
    return _document_new(request, lot)


@csrf_protect
def _document_new(request, lot: Lot):
    form = DocumentForm(request.POST or None, request.FILES or None, lot=lot)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = document_upload(
                user=request.user,
                lot=lot,
                uploaded_file=data["file"],
                kind=data["kind"],
                pack=data["pack"],
                history_event=data["history_event"],
                published=data["published"],
            )
        except ApplicationError as exc:
            _field_error(form, exc)
        else:
            messages.success(request, f"{document.original_name} added.")
            return _back(lot, data["pack"])
    status = 400 if request.method == "POST" else 200
    return _form_page(request, lot, form, title="Add a document", action=request.path,
                      status=status)  # fmt: skip


@login_required
@require_POST
def document_publish_view(request, pk: int):
    document = get_object_or_404(document_list_visible(user=request.user), pk=pk)
    lot = _managed_lot(request, document.lot_id)
    published = request.POST.get("published") == "1"
    try:
        document_publish(user=request.user, document=document, published=published)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        shown = "published to buyers" if published else "no longer published"
        messages.success(request, f"{document.original_name} {shown}.")
    return redirect(lot)


def document_downloadable(*, user, pk: int) -> Document:
    """A document the user may download, or 404 whether it exists or not."""
    document = document_visible(user=user, pk=pk)
    if document is None:
        raise Http404("No such document.")
    return document


def document_response(document: Document) -> FileResponse:
    """The stored file, as the type it was found to be, never sniffed into another."""
    name = stored_name(document.original_name, ALLOWED.get(document.content_type, "bin"))
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_download(request, pk: int):
    return document_response(document_downloadable(user=request.user, pk=pk))


urlpatterns = [
    path("lots/<int:pk>/history/new/", history_event_new, name="history-event-new"),
    path("history/<int:pk>/edit/", history_event_change, name="history-event-edit"),
    path("history/<int:pk>/delete/", history_event_delete, name="history-event-delete"),
    path("lots/<int:pk>/documents/new/", document_new, name="document-new"),
    path("documents/<int:pk>/publish/", document_publish_view, name="document-publish"),
    path("documents/<int:pk>/download/", document_download, name="document-download"),
]
