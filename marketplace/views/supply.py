"""The supplier's pages: its lots, and its actions on a lot (list, submit, withdraw, upload
test data, split by route). Each view validates its input and calls one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from suppliers.choices import LotStatus
from suppliers.forms import LotForm, PackFormSet, pack_formset_grown
from suppliers.models import Lot
from suppliers.selectors import is_supplier, lot_can_manage, lot_list_owned
from suppliers.services import lot_service_history
from verification.choices import TestRecordStatus
from verification.forms import TestRecordUploadForm
from verification.selectors import verification_latest_for_record
from verification.views import upload_too_large

from ..selectors import lots_visible, supply_figures
from ..services import lot_create, lot_split_by_route, lot_submit, lot_withdraw, test_data_upload
from .lots import render_lot_page


def home(request):
    """Signed in: the supplier's dashboard or the verified lots. Anyone else: what the
    marketplace offers, with the verified supply it holds."""
    if not request.user.is_authenticated:
        figures = supply_figures()
        totals = {
            "lots": sum(f.lots for f in figures),
            "packs": sum(f.packs for f in figures),
            "packs_measured": sum(f.packs_measured for f in figures),
            "nominal_mwh": sum(f.nominal_mwh for f in figures),
            "measured_mwh": sum(f.measured_mwh for f in figures),
        }
        return render(request, "marketplace/landing.html", {"figures": figures, "totals": totals})
    if is_supplier(request.user):
        return redirect("supplier-dashboard")
    return redirect("lot-browse")


@login_required
def lot_list_mine(request):
    if not is_supplier(request.user):
        raise PermissionDenied("Only suppliers list lots.")
    lots = lot_list_owned(user=request.user).select_related("summary").order_by("-created_at")
    status = request.GET.get("status", "")
    if status in LotStatus.values:
        lots = lots.filter(status=status)
    elif status:
        messages.error(request, f"No lot status {status!r}; showing every lot.")
        status = ""
    return render(
        request,
        "suppliers/lot_list_mine.html",
        {"lots": lots, "status": status, "statuses": LotStatus.choices},
    )


@login_required
def lot_new(request):
    if not is_supplier(request.user):
        raise PermissionDenied("Only members of a supplier organisation can list lots.")
    form = LotForm(request.POST or None, user=request.user)
    packs = PackFormSet(request.POST or None, prefix="packs")
    if request.method == "POST" and "add_row" in request.POST:
        # Without JavaScript "add a row" posts the form: show it again, unsaved, one row more.
        form = LotForm(initial=request.POST.dict(), user=request.user)
        packs = pack_formset_grown(PackFormSet, request.POST, prefix="packs")
        return render(request, "suppliers/lot_form.html", {"form": form, "packs": packs})
    if request.method == "POST" and form.is_valid() and packs.is_valid():
        data = form.cleaned_data
        try:
            lot = lot_create(
                user=request.user,
                supplier=data["supplier"],
                pack_model=data["pack_model"],
                reference=data["reference"],
                location=data["location"],
                description=data["description"],
                country=data["country"],
                latitude=data["latitude"],
                longitude=data["longitude"],
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


def _managed_lot(request, pk: int) -> Lot:
    """The lot, for its supplier: one the user may not see is not found (a draft's id tells
    another organisation nothing), one they see but do not supply is forbidden."""
    lot = get_object_or_404(lots_visible(user=request.user), pk=pk)
    if not lot_can_manage(user=request.user, lot=lot):
        raise PermissionDenied("Only the supplier of this lot can change it.")
    return lot


@login_required
@require_POST
def lot_submit_view(request, pk: int):
    lot = _managed_lot(request, pk)
    try:
        lot_submit(user=request.user, lot=lot)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Lot {lot.reference} submitted for verification.")
    return redirect(lot)


@login_required
@require_POST
def lot_withdraw_view(request, pk: int):
    lot = _managed_lot(request, pk)
    try:
        lot_withdraw(user=request.user, lot=lot, reason=request.POST.get("reason", "")[:2000])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Lot {lot.reference} withdrawn.")
    return redirect(lot)


@csrf_exempt  # checked by _test_record_upload, once the body is known to be within the limit
@login_required
@require_POST
def test_record_upload(request, pk: int):
    lot = get_object_or_404(Lot.objects.select_related("summary"), pk=pk)
    if not lot_can_manage(user=request.user, lot=lot):
        raise PermissionDenied("Only the supplier of this lot can upload its test data.")
    too_large = upload_too_large(request)
    if too_large:
        # Nothing is stored and the body is never read: no CSRF token is needed to refuse.
        return render_lot_page(request, lot, upload_error=too_large, status=400)
    return _test_record_upload(request, lot)


def _upload_notice(request, record) -> None:
    """Words that match the state: received is not verified, and a failure is a failure. A
    worker usually has not finished yet; where it has (an eager setup), say what it found."""
    record.refresh_from_db(fields=["status", "error"])
    name, serial = record.original_name, record.pack.serial
    if record.status == TestRecordStatus.FAILED:
        messages.error(request, f"{name} for pack {serial} could not be read: {record.error}")
        return
    run = verification_latest_for_record(record=record)
    if run is not None:
        messages.info(request, f"{name} read for pack {serial}: {run.get_verdict_display()}.")
        return
    messages.info(
        request,
        f"{name} received for pack {serial}; it is being read and verified, and its result "
        "appears under Uploads.",
    )


@csrf_protect
def _test_record_upload(request, lot: Lot):
    form = TestRecordUploadForm(request.POST, request.FILES, lot=lot)
    if form.is_valid():
        try:
            record = test_data_upload(
                user=request.user,
                pack=form.cleaned_data["pack"],
                uploaded_file=form.cleaned_data["file"],
                data_format=form.cleaned_data["data_format"],
                test_level=form.cleaned_data["test_level"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            _upload_notice(request, record)
            return redirect(lot)
    return render_lot_page(request, lot, upload_form=form, status=400)


@login_required
@require_POST
def lot_split(request, pk: int):
    lot = get_object_or_404(lots_visible(user=request.user), pk=pk)
    try:
        sub_lots = lot_split_by_route(user=request.user, lot=lot)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        names = ", ".join(sub.reference for sub in sub_lots)
        messages.success(request, f"Split into sub-lots by route: {names}.")
    return redirect(lot)
