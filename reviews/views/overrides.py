"""An auditor's route override for a lot, posted from the lot's review page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from suppliers.selectors import is_auditor

from ..services import lot_route_override


@login_required
@require_POST
def route_override(request, pk: int) -> HttpResponse:
    if not is_auditor(request.user):
        raise PermissionDenied("Only auditors override a route.")
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
    return redirect("lot-detail", pk=pk)


urlpatterns = [
    path("review/lots/<int:pk>/route/", route_override, name="review-route-override"),
]
