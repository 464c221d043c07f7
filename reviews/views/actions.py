"""Auditors' actions posted from a lot's review page that are not verdicts: a route override,
a re-run of an upload's verification, the approval of the lot's pack model."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from marketplace.services import pack_model_approve
from suppliers.models import Lot
from verification.models import TestRecord

from ..services import lot_route_override, test_record_rerun_by_auditor
from .auditor import auditor_required


@auditor_required
@require_POST
def route_override(request, pk: int) -> HttpResponse:
    try:
        lot = lot_route_override(
            user=request.user,
            lot_id=pk,
            route=request.POST.get("route", ""),
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        shown = lot.route_override or "the rules' route"
        messages.success(request, f"Lot {lot.reference}: route is now {shown}.")
    return redirect("review-lot", pk=pk)


@auditor_required
@require_POST
def test_record_rerun_view(request, pk: int) -> HttpResponse:
    record = get_object_or_404(TestRecord.objects.select_related("pack"), pk=pk)
    try:
        test_record_rerun_by_auditor(
            user=request.user, test_record_id=record.pk, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{record.original_name} sent back to the workers.")
    return redirect("review-lot", pk=record.pack.lot_id)


@auditor_required
@require_POST
def pack_model_approve_view(request, pk: int) -> HttpResponse:
    """Approve the pack model of the lot under review (its ratings checked against the maker's
    data); the measurements held back for it are then judged."""
    lot = get_object_or_404(Lot.objects.select_related("pack_model"), pk=pk)
    try:
        pack_model_approve(
            user=request.user, pack_model=lot.pack_model, note=request.POST.get("note", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{lot.pack_model} approved; its measurements are judged.")
    return redirect("review-lot", pk=lot.pk)


urlpatterns = [
    path(
        "review/lots/<int:pk>/approve-pack-model/",
        pack_model_approve_view,
        name="review-pack-model-approve",
    ),
    path("review/lots/<int:pk>/route/", route_override, name="review-route-override"),
    path("review/test-records/<int:pk>/rerun/", test_record_rerun_view, name="review-rerun"),
]
