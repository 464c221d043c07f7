"""Supplier scorecards: every supplier's score for the auditors, one in full with its trends,
and the supplier's own with what would raise it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from suppliers.models import Organisation
from suppliers.selectors import SUPPLIER_KINDS, is_auditor, supplier_organisations

from ..scorecard_charts import scorecard_charts
from ..scorecards import Access, scorecard_list, scorecard_view, scorecards_current

ORDERS = ("-total", "total", "name", "-name")


def _auditors_only(request) -> None:
    if not is_auditor(request.user):
        raise PermissionDenied("Supplier scorecards in full are for the auditors.")


@login_required
def scorecard_index(request):
    _auditors_only(request)
    order = request.GET.get("order", "-total")
    order = order if order in ORDERS else "-total"
    rows = [scorecard_view(row, access=Access.FULL) for row in scorecard_list(order=order)]
    return render(request, "marketplace/scorecard_list.html", {"rows": rows, "order": order})


@login_required
def scorecard_detail(request, slug: str):
    _auditors_only(request)
    rows = scorecards_current(
        organisations=Organisation.objects.filter(slug=slug, kind__in=SUPPLIER_KINDS)
    )
    if not rows:
        raise Http404("No supplier with that name.")
    score = scorecard_view(rows[0], access=Access.FULL)
    return render(
        request,
        "marketplace/scorecard_detail.html",
        {"score": score, "charts": scorecard_charts(score.card.trends), "advice": False},
    )


@login_required
def scorecard_mine(request):
    organisations = supplier_organisations(user=request.user)
    rows = scorecards_current(organisations=organisations)
    if not rows:
        raise PermissionDenied("Only suppliers have a scorecard.")
    scores = [scorecard_view(row, access=Access.FULL) for row in rows]
    return render(
        request,
        "marketplace/scorecard_mine.html",
        {"scores": [(s, scorecard_charts(s.card.trends)) for s in scores]},
    )
