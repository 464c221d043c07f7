"""Pack models for suppliers: the approved catalogue, their own proposals awaiting an auditor,
and a form to propose one. The service checks the ratings; the page shows what it says."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from core.errors import ApplicationError
from suppliers.forms import PackModelForm
from suppliers.selectors import is_supplier, pack_model_list
from suppliers.services import pack_model_create


def _suppliers_only(request) -> None:
    if not is_supplier(request.user):
        raise PermissionDenied("Pack models are proposed by suppliers.")


@login_required
def pack_model_index(request):
    _suppliers_only(request)
    models = pack_model_list(user=request.user).select_related("proposed_by")
    proposals = [m for m in models if not m.is_approved]
    catalogue = [m for m in models if m.is_approved]
    return render(
        request,
        "suppliers/pack_model_list.html",
        {"proposals": proposals, "catalogue": catalogue},
    )


@login_required
def pack_model_new(request):
    _suppliers_only(request)
    form = PackModelForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        supplier = fields.pop("supplier", None)
        try:
            pack_model = pack_model_create(user=request.user, supplier=supplier, **fields)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"{pack_model} proposed. Your organisation can list lots of it now; other "
                "suppliers see it once an auditor has checked its ratings, and its measurements "
                "confirm claims from then on.",
            )
            return redirect("pack-model-list")
    status = 400 if request.method == "POST" else 200
    return render(request, "suppliers/pack_model_form.html", {"form": form}, status=status)
