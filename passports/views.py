"""Web pages: a pack's passport downloads and the suppliers' passport import."""

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from core.errors import ApplicationError
from suppliers.models import Pack
from suppliers.selectors import is_supplier

from .forms import PassportImportForm
from .models import PassportDocument
from .selectors import pack_for_passport
from .services import PassportInvalid, passport_import, passport_issue, reuse_certificate_issue


def _pack(request, pk: int) -> Pack:
    try:
        return pack_for_passport(user=request.user, pk=pk)
    except Pack.DoesNotExist as exc:
        raise Http404("No such pack.") from exc


def _download(record: PassportDocument, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(record.document, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def pack_passport(request, pk: int):
    pack = _pack(request, pk)
    record = passport_issue(user=request.user, pack=pack)
    return _download(record, f"battery-pass-{pack.serial}.json")


@login_required
def pack_reuse_certificate(request, pk: int):
    pack = _pack(request, pk)
    try:
        record = reuse_certificate_issue(user=request.user, pack=pack)
    except ApplicationError as exc:
        return render(
            request, "passports/refused.html", {"pack": pack, "error": exc.message}, status=409
        )
    return _download(record, f"reuse-certificate-{pack.serial}.json")


@login_required
def passport_import_view(request):
    if not is_supplier(request.user):
        raise PermissionDenied("Only members of a supplier organisation import passports.")
    form = PassportImportForm(request.POST or None, request.FILES or None, user=request.user)
    context = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            context["result"] = passport_import(
                user=request.user,
                supplier=data["supplier"],
                document=data["document"].read(),
                lot_reference=data["lot"].reference if data["lot"] else "",
            )
        except PassportInvalid as exc:
            context["error"], context["problems"], status = exc.message, exc.problems, 400
    elif request.method == "POST":
        status = 400
    return render(request, "passports/import.html", context, status=status)
