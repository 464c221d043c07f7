"""The auditors' workspace: the queue, a lot's review page and its decisions."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from routing.choices import RouteChoice
from suppliers.models import Lot
from suppliers.selectors import is_auditor, lot_can_manage
from verification.models import TestRecord

from ..choices import Decision
from ..claim import lot_review
from ..filters import QueueFilterForm
from ..forms import DecisionForm, RequestCloseForm, SupplierRequestForm
from ..models import SupplierRequest
from ..queue import review_queue
from ..services import lot_decide, supplier_request_close, supplier_request_create

QUEUE_PAGE_SIZE = 50
DECIDED = {Decision.APPROVE: "approved", Decision.REJECT: "rejected"}


def auditor_required(view: Callable) -> Callable:
    """Signed-in auditors only: others are refused (403), anonymous visitors sent to log in."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_auditor(request.user):
            raise PermissionDenied("The review workspace is for the platform's auditors.")
        return view(request, *args, **kwargs)

    return wrapped


@auditor_required
def queue(request) -> HttpResponse:
    filters = QueueFilterForm(request.GET or None)
    result = review_queue(**filters.queue_filters())
    page = Paginator(result.items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    others = query.copy()
    others.pop("kind", None)
    context = {
        "filter": filters,
        "queue": result,
        "page": page,
        "query": query.urlencode(),
        "other_filters": others.urlencode(),
    }
    return render(request, "reviews/queue.html", context)


def _lot(pk: int) -> Lot:
    return get_object_or_404(
        Lot.objects.select_related("supplier", "pack_model", "summary", "parent"), pk=pk
    )


@auditor_required
def lot_page(request, pk: int) -> HttpResponse:
    lot = _lot(pk)
    return render(
        request,
        "reviews/lot_review.html",
        {
            "lot": lot,
            "review": lot_review(lot=lot, chart_pack_id=request.GET.get("pack")),
            "decision_form": DecisionForm(),
            "ask_form": SupplierRequestForm(lot=lot),
            "route_choices": RouteChoice.choices,
        },
    )


def _back(lot_id: int):
    return redirect(reverse("review-lot", args=[lot_id]))


def _refused(request, exc: ApplicationError) -> None:
    messages.error(request, exc.message)


def _invalid(request, form) -> None:
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        text = " ".join(errors)
        messages.error(request, f"{label}: {text}" if label else text)


@auditor_required
@require_POST
def decide(request, pk: int) -> HttpResponse:
    lot = _lot(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(lot.pk)
    try:
        lot_decide(
            user=request.user,
            lot_id=lot.pk,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        verb = DECIDED[form.cleaned_data["decision"]]
        messages.success(request, f"Lot {lot.reference} {verb}; the supplier is told why.")
    return _back(lot.pk)


@auditor_required
@require_POST
def ask(request, pk: int) -> HttpResponse:
    lot = _lot(pk)
    form = SupplierRequestForm(request.POST, lot=lot)
    if not form.is_valid():
        _invalid(request, form)
        return _back(lot.pk)
    pack = form.cleaned_data["pack"]
    try:
        supplier_request_create(
            user=request.user,
            lot_id=lot.pk,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            pack_id=pack.pk if pack else None,
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Sent to {lot.supplier}; the lot waits for their answer.")
    return _back(lot.pk)


@auditor_required
@require_POST
def request_close(request, pk: int) -> HttpResponse:
    item = get_object_or_404(SupplierRequest, pk=pk)
    form = RequestCloseForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(item.lot_id)
    try:
        supplier_request_close(
            user=request.user, request_id=item.pk, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, "Request closed.")
    return _back(item.lot_id)


@login_required
def test_record_download(request, pk: int) -> FileResponse:
    """The raw uploaded file, for the auditors and the lot's supplier."""
    record = get_object_or_404(TestRecord.objects.select_related("pack__lot__supplier"), pk=pk)
    lot = record.pack.lot
    if not (is_auditor(request.user) or lot_can_manage(user=request.user, lot=lot)):
        raise PermissionDenied("Raw test data are for the lot's supplier and the auditors.")
    return FileResponse(record.file.open("rb"), as_attachment=True, filename=record.original_name)


urlpatterns = [
    path("review/", queue, name="review-queue"),
    path("review/lots/<int:pk>/", lot_page, name="review-lot"),
    path("review/lots/<int:pk>/decide/", decide, name="review-decide"),
    path("review/lots/<int:pk>/ask/", ask, name="review-ask"),
    path("review/requests/<int:pk>/close/", request_close, name="review-request-close"),
    path("test-data/<int:pk>/file/", test_record_download, name="test-record-file"),
]
