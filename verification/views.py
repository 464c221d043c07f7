from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from suppliers.errors import ApplicationError
from suppliers.models import Lot
from suppliers.selectors import is_auditor, lot_can_manage

from .forms import TestRecordUploadForm
from .selectors import test_record_list_for_lot
from .services import test_record_create


def upload_too_large(request) -> str | None:
    """Refuse an oversized body from its Content-Length, before Django reads it.

    Callers must run this before anything touches request.POST or request.FILES: the CSRF
    check does, so upload views check the size first and the CSRF token after it.
    """
    limit_mb = settings.TEST_DATA_MAX_UPLOAD_MB
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    # Multipart framing adds a little; allow a megabyte for it.
    if length > (limit_mb + 1) * 1024 * 1024:
        return f"The upload is {length / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB."
    return None


@csrf_exempt  # checked by _test_record_upload, once the body is known to be within the limit
@login_required
@require_POST
def test_record_upload(request, pk: int):
    lot = get_object_or_404(Lot, pk=pk)
    if not lot_can_manage(user=request.user, lot=lot):
        raise PermissionDenied("Only the supplier of this lot can upload its test data.")
    too_large = upload_too_large(request)
    if too_large:
        from marketplace.views import render_lot_page

        # Nothing is stored and the body is never read: no CSRF token is needed to refuse.
        return render_lot_page(request, lot, upload_error=too_large, status=400)
    return _test_record_upload(request, lot)


@csrf_protect
def _test_record_upload(request, lot: Lot):
    from marketplace.views import render_lot_page

    form = TestRecordUploadForm(request.POST, request.FILES, lot=lot)
    if form.is_valid():
        try:
            record = test_record_create(
                user=request.user,
                pack=form.cleaned_data["pack"],
                uploaded_file=form.cleaned_data["file"],
                data_format=form.cleaned_data["data_format"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"{record.original_name} uploaded for pack {record.pack.serial}."
            )
            return redirect(lot)
    return render_lot_page(request, lot, upload_form=form, status=400)


@login_required
def test_record_status(request, pk: int):
    """The htmx partial that polls upload and verification status while a worker runs."""
    lot = get_object_or_404(Lot, pk=pk)
    if not (lot_can_manage(user=request.user, lot=lot) or is_auditor(request.user)):
        raise PermissionDenied
    pack = None
    records = test_record_list_for_lot(lot=lot)
    if request.GET.get("pack", "").isdigit():
        pack = get_object_or_404(lot.packs, pk=int(request.GET["pack"]))
        records = records.filter(pack=pack)
    records = list(records)
    polling = any(not r.is_settled for r in records)
    response = render(
        request,
        "verification/_test_records.html",
        {"lot": lot, "pack": pack, "records": records, "polling": polling},
    )
    if request.htmx and not polling:
        # Verification finished: reload the whole page so figures and route show.
        response["HX-Refresh"] = "true"
    return response
