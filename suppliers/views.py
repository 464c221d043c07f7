from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .errors import ApplicationError
from .forms import LotForm, PackFormSet
from .models import Lot
from .selectors import is_auditor, is_supplier, lot_can_manage, lot_list_owned
from .services import lot_create, lot_service_history, lot_submit


@login_required
def home(request):
    if is_supplier(request.user):
        return redirect("lot-list-mine")
    return redirect("lot-browse")


@login_required
def lot_list_mine(request):
    if not is_supplier(request.user):
        raise PermissionDenied("Only suppliers list lots.")
    lots = lot_list_owned(user=request.user).order_by("-created_at")
    return render(request, "suppliers/lot_list_mine.html", {"lots": lots})


@login_required
def lot_new(request):
    if not is_supplier(request.user):
        raise PermissionDenied("Only members of a supplier organisation can list lots.")
    form = LotForm(request.POST or None, user=request.user)
    packs = PackFormSet(request.POST or None, prefix="packs")
    if request.method == "POST" and form.is_valid() and packs.is_valid():
        data = form.cleaned_data
        try:
            lot = lot_create(
                user=request.user,
                supplier=data["supplier"],
                pack_model=data["pack_model"],
                reference=data["reference"],
                location=data["location"],
                quantity=data["quantity"],
                claimed_soh_pct=data["claimed_soh_pct"],
                price_per_kwh=data["price_per_kwh"],
                packs=[p for p in packs.cleaned_data if p.get("serial")],
                history=lot_service_history(
                    manufactured_on=data["manufactured_on"],
                    removed_on=data["removed_on"],
                    vin=data["vin"],
                ),
            )
        except ApplicationError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, f"Lot {lot.reference} saved as a draft.")
            return redirect(lot)
    status = 400 if request.method == "POST" else 200
    return render(request, "suppliers/lot_form.html", {"form": form, "packs": packs}, status=status)


@login_required
@require_POST
def lot_submit_view(request, pk: int):
    lot = get_object_or_404(Lot, pk=pk)
    if not (lot_can_manage(user=request.user, lot=lot) or is_auditor(request.user)):
        raise PermissionDenied
    try:
        lot_submit(user=request.user, lot=lot)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Lot {lot.reference} submitted for verification.")
    return redirect(lot)
