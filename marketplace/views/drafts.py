"""A supplier corrects a draft lot: its own fields, packs added in rows that grow as needed,
packs removed; and takes a submitted lot back to draft. Each view calls one service; after
submission a lot changes only through lifecycle transitions."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from suppliers.choices import LotStatus
from suppliers.forms import MAX_PACK_ROWS, LotEditForm, PackAddFormSet, pack_formset_grown
from suppliers.models import Document, Lot
from suppliers.selectors import is_supplier, lot_can_manage
from verification.models import TestRecord

from ..services import lot_draft_save, lot_packs_remove, lot_recall

ADD_PREFIX = "add"


def _own_lot(request, pk: int) -> Lot:
    """The lot if the user's organisation supplies it; others get a 404, not a hint."""
    lot = get_object_or_404(Lot.objects.select_related("supplier", "pack_model"), pk=pk)
    if not lot_can_manage(user=request.user, lot=lot):
        raise Http404("No such lot.")
    return lot


def _packs(lot: Lot):
    """The draft's packs, each saying whether it carries evidence (and so stays)."""
    evidence = Exists(TestRecord.objects.filter(pack=OuterRef("pk"))) | Exists(
        Document.objects.filter(pack=OuterRef("pk"))
    )
    return lot.packs.annotate(has_evidence=evidence).order_by("serial")


def _report(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def lot_edit(request, pk: int):
    lot = _own_lot(request, pk)
    if lot.status != LotStatus.DRAFT:
        messages.error(
            request,
            f"Lot {lot.reference} is {lot.get_status_display().lower()}: only a draft is edited.",
        )
        return redirect(lot)
    # The form works on a copy: a refused save must not show its values as the lot's.
    form = LotEditForm(request.POST or None, instance=copy.copy(lot), user=request.user)
    adding = PackAddFormSet(request.POST or None, prefix=ADD_PREFIX)
    status = 200
    if request.method == "POST" and "add_row" in request.POST:
        # Without JavaScript the "add a row" button posts the form: show it again, unsaved and
        # without errors, one row more.
        typed = {name: request.POST.get(name) for name in LotEditForm.Meta.fields}
        form = LotEditForm(instance=lot, initial=typed, user=request.user)
        adding = pack_formset_grown(PackAddFormSet, request.POST, prefix=ADD_PREFIX)
    elif request.method == "POST":
        if form.is_valid() and adding.is_valid() and _save(request, lot, form, adding):
            return redirect(lot)
        status = 400
    return render(
        request,
        "suppliers/lot_edit.html",
        {"lot": lot, "form": form, "adding": adding, "packs": _packs(lot)},
        status=status,
    )


def _save(request, lot: Lot, form, adding) -> bool:
    new_packs = [row for row in adding.cleaned_data if row.get("serial")]
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        lot_draft_save(user=request.user, lot=lot, changes=changes, new_packs=new_packs)
    except ApplicationError as exc:
        if exc.field == "packs":
            adding._non_form_errors = adding.error_class([exc.message])
        else:
            _report(form, exc)
        return False
    added = f" and {len(new_packs)} pack(s) added" if new_packs else ""
    messages.success(request, f"Lot {lot.reference} saved{added}.")
    return True


@login_required
@require_GET
def pack_row(request):
    """One more empty pack row for the growing table (htmx): the row, and the formset's
    TOTAL_FORMS out of band."""
    if not is_supplier(request.user):
        raise PermissionDenied("Only suppliers list packs.")
    prefix = request.GET.get("prefix", ADD_PREFIX)
    if prefix not in (ADD_PREFIX, "packs"):
        raise Http404("No such pack table.")
    try:
        # The formset's current TOTAL_FORMS is the new row's index.
        index = int(request.GET.get(f"{prefix}-TOTAL_FORMS", ""))
    except ValueError as exc:
        raise Http404("No such row.") from exc
    if not 0 <= index < MAX_PACK_ROWS:
        return HttpResponse(f"A lot lists at most {MAX_PACK_ROWS} packs here.", status=400)
    formset = PackAddFormSet(prefix=prefix)
    return render(
        request,
        "suppliers/_pack_row.html",
        {"row": formset._construct_form(index), "prefix": prefix, "total": index + 1},
    )


@login_required
@require_POST
def pack_remove(request, pk: int, pack_pk: int):
    lot = _own_lot(request, pk)
    try:
        lot_packs_remove(user=request.user, lot=lot, pack_ids=[pack_pk])
    except ApplicationError as exc:
        if request.htmx:
            # The row again with the reason; 422 is swapped in (base.html's htmx config).
            pack = _packs(lot).filter(pk=pack_pk).first()
            if pack is None:
                return HttpResponse(exc.message, status=404)
            context = {"lot": lot, "pack": pack, "remove_error": exc.message}
            return render(request, "suppliers/_current_pack_row.html", context, status=422)
        messages.error(request, exc.message)
    else:
        if request.htmx:
            # The row disappears and the count follows, out of band.
            context = {"count": lot.packs.count(), "oob": True}
            return render(request, "suppliers/_pack_count.html", context)
        messages.success(request, "Pack removed from the draft.")
    return redirect("lot-edit", pk=lot.pk)


@login_required
@require_POST
def lot_recall_view(request, pk: int):
    lot = _own_lot(request, pk)
    try:
        lot_recall(user=request.user, lot=lot, reason=request.POST.get("reason", "")[:2000])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Lot {lot.reference} is a draft again: correct it, then submit.")
    return redirect(lot)
