"""A supplier imports a draft lot's packs from a CSV or XLSX file: upload, a preview of the rows
read and of every problem, then confirm. Each view checks its input and calls one service."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from suppliers.domain.pack_rows import MAX_ROWS, TEMPLATE_HEADER, error_groups
from suppliers.forms import PackImportForm
from suppliers.models import Lot
from suppliers.pack_import import MAX_FILE_BYTES, PackImportInvalid, pack_import_allowed
from suppliers.selectors import lot_can_manage

from ..pack_import import pack_import_confirm, pack_import_preview
from ..selectors import lots_visible

PREVIEW_ROWS = 50
ERRORS_SHOWN = 300
# Multipart framing around the file.
FRAMING_BYTES = 64 * 1024


def _import_lot(request, pk: int) -> Lot:
    lot = get_object_or_404(lots_visible(user=request.user), pk=pk)
    if not lot_can_manage(user=request.user, lot=lot):
        raise PermissionDenied("Only the supplier of this lot can import its packs.")
    return lot


def _page(request, lot: Lot, *, form=None, error: str = "", status: int = 200):
    context = {
        "lot": lot,
        "form": form or PackImportForm(),
        "error": error,
        "max_mb": MAX_FILE_BYTES // 1024 // 1024,
        "max_rows": MAX_ROWS,
        "columns": TEMPLATE_HEADER,
    }
    return render(request, "suppliers/pack_import.html", context, status=status)


def _too_large(request) -> str:
    """From the Content-Length, before anything reads the body (the CSRF check would)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if length > MAX_FILE_BYTES + FRAMING_BYTES:
        return (
            f"The upload is {length / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB ({MAX_ROWS:,} packs). Split the file."
        )
    return ""


@csrf_exempt  # checked by _preview, once the body is known to be within the limit
@login_required
def pack_import_start(request, pk: int):
    lot = _import_lot(request, pk)
    if request.method != "POST":
        try:
            pack_import_allowed(user=request.user, lot=lot)
        except ApplicationError as exc:
            return _page(request, lot, error=exc.message, status=400)
        return _page(request, lot)
    too_large = _too_large(request)
    if too_large:
        return _page(request, lot, error=too_large, status=400)
    return _preview(request, lot)


@csrf_protect
def _preview(request, lot: Lot):
    form = PackImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, lot, form=form, status=400)
    try:
        check = pack_import_preview(
            user=request.user, lot=lot, uploaded_file=form.cleaned_data["file"]
        )
    except ApplicationError as exc:
        return _page(request, lot, form=form, error=exc.message, status=400)
    return _preview_page(request, lot, check=check, errors=check.errors)


def _preview_page(request, lot: Lot, *, errors, check=None):
    """The rows read and every problem; `check` None: a confirmation the file no longer
    passes, which shows only the problems."""
    rows = check.parsed.rows if check is not None else []
    context = {
        "lot": lot,
        "check": check,
        "rows": rows[:PREVIEW_ROWS],
        "rows_total": check.parsed.rows_clean if check is not None else 0,
        "rows_read": check.parsed.rows_read if check is not None else 0,
        "errors_total": len(errors),
        "groups": error_groups(errors, limit=ERRORS_SHOWN),
        "errors_hidden": max(len(errors) - ERRORS_SHOWN, 0),
        "errors_shown": ERRORS_SHOWN,
        "form": PackImportForm(),
    }
    ok = check is not None and check.ok
    return render(request, "suppliers/pack_import_preview.html", context, status=200 if ok else 400)


@login_required
@require_POST
def pack_import_confirm_view(request, pk: int):
    lot = _import_lot(request, pk)
    try:
        done = pack_import_confirm(
            user=request.user, lot=lot, sha256=request.POST.get("sha256", "")[:64]
        )
    except PackImportInvalid as exc:
        return _preview_page(request, lot, errors=exc.errors)
    except ApplicationError as exc:
        # Changed since the preview (a serial listed meanwhile, the lot submitted): the
        # upload page says what, and a fresh preview shows every row again.
        return _page(request, lot, error=exc.message, status=400)
    messages.success(
        request,
        f"{done.packs:,} packs imported from {done.name} into lot {lot.reference}, with "
        f"{done.history_events:,} history events.",
    )
    return redirect(lot)


@login_required
def pack_import_template(request):
    """The header an import reads, as a CSV to fill in."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="packs-template.csv"'
    csv.writer(response).writerow(TEMPLATE_HEADER)
    return response
