from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from suppliers.models import Lot
from suppliers.selectors import is_auditor, lot_can_manage

from .selectors import test_record_list_for_lot


def upload_too_large(request, *, limit_mb: int | None = None) -> str | None:
    """Refuse an oversized body from its Content-Length, before Django reads it.

    Callers must run this before anything touches request.POST or request.FILES: the CSRF
    check does, so upload views check the size first and the CSRF token after it.
    """
    limit_mb = settings.TEST_DATA_MAX_UPLOAD_MB if limit_mb is None else limit_mb
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    # Multipart framing adds a little; allow a megabyte for it.
    if length > (limit_mb + 1) * 1024 * 1024:
        return f"The upload is {length / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB."
    return None


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
