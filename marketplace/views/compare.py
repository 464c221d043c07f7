"""Lots side by side: `GET /lots/compare/?lots=1,2,3,4` (or `lots=1&lots=2`, as the browse
page's checkboxes send them)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from ..domain.compare import MAX_LOTS, CompareInputError, parse_lot_ids
from ..selectors import lot_comparison


@login_required
def lot_compare(request):
    """Up to MAX_LOTS lots the user may open, one column each. Input that names no lots, too
    many, or not numbers answers 400 with the reason; a lot the user may not open, 404."""
    try:
        ids = parse_lot_ids(request.GET.getlist("lots"))
    except CompareInputError as error:
        context = {"error": str(error), "columns": [], "max_lots": MAX_LOTS}
        return render(request, "marketplace/lot_compare.html", context, status=400)
    columns = lot_comparison(user=request.user, lot_ids=ids)
    if columns is None:
        raise Http404("A lot asked for does not exist, or is not one you may open.")
    return render(
        request, "marketplace/lot_compare.html", {"columns": columns, "max_lots": MAX_LOTS}
    )
