import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django_htmx.http import push_url

from suppliers.models import Pack
from suppliers.selectors import is_auditor, lot_can_commit, lot_can_manage
from verification.charts import measurement_charts
from verification.forms import TestRecordUploadForm
from verification.selectors import test_record_list_for_lot, test_record_list_for_pack

from ..api.serializers import AuditEntrySerializer
from ..charts import soh_distribution_svg
from ..domain.keyset import CursorError
from ..facets import lot_facets, lot_facets_cached, unfaceted
from ..filters import LotFilter
from ..pagination import keyset_page, lot_count, lot_sort
from ..scorecards import Access, scorecard_current, scorecard_of_lot, scorecard_view
from ..selectors import (
    lot_audit_trail,
    lot_for_page,
    lot_list_browsable,
    lot_report,
    lot_report_card,
    lots_visible,
    pack_measured_run,
    pack_report,
)
from .history import history_context

BROWSE_PAGE_SIZE = 25
PACKS_SHOWN = 25  # the pack table's first rows; ?packs=all shows every pack


def _address(request) -> str:
    """The browse page's address for this request's filters, blanks left out: what the
    address bar shows after an htmx change, to be shared or bookmarked."""
    kept = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        filled = [value for value in values if value.strip()]
        if filled:
            kept.setlist(name, filled)
    query = kept.urlencode()
    return f"{request.path}?{query}" if query else request.path


def _browse_render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    return push_url(response, _address(request)) if request.htmx else response


def _without_soh(query) -> str:
    """The query string without the SOH bounds or the page: what each SOH band's link adds to."""
    kept = query.copy()
    for name in ("soh_min", "soh_max", "cursor", "page"):
        kept.pop(name, None)
    return kept.urlencode()


@login_required
def lot_browse(request):
    """Verified supply, filtered as `GET /api/lots/` is. A value the filters refuse is shown
    with the reason, never silently dropped (the API answers 400 for the same input). Paged by
    cursor; an htmx request (the filters changed) gets the results alone."""
    lots = LotFilter(request.GET, queryset=lot_list_browsable(), request=request)
    template = "marketplace/_lot_results.html" if request.htmx else "marketplace/lot_browse.html"
    query = request.GET.copy()
    for name in ("cursor", "page"):
        query.pop(name, None)
    context = {
        "filter": lots,
        "query": query.urlencode(),
        "query_without_soh": _without_soh(query),
        "page": None,
    }
    # htmx swaps a 422 in (base.html): the reason replaces the results.
    refused = 422 if request.htmx else 400
    if not lots.is_valid():
        context |= {"invalid": True, "facets": unfaceted(request.GET)}
        return _browse_render(request, template, context, status=refused)
    try:
        page = keyset_page(
            lots.qs,
            sort=lot_sort(request.GET.get("ordering")),
            cursor_text=request.GET.get("cursor"),
            size=BROWSE_PAGE_SIZE,
        )
    except CursorError as error:
        context |= {"cursor_error": str(error), "facets": unfaceted(request.GET)}
        return _browse_render(request, template, context, status=refused)
    context |= {"page": page, "count": lot_count(lots.qs)}
    # A filter changed (htmx): the results go at once, and counts not yet in the cache follow
    # from their own request (four aggregates over every lot the other filters leave). A
    # page loaded whole, with or without JavaScript, has its counts in it.
    facets = lot_facets_cached(lots) if request.htmx else lot_facets(lots)
    if facets is None:
        context |= {"facets": unfaceted(request.GET), "facets_pending": True}
    else:
        context["facets"] = facets
    return _browse_render(request, template, context)


@login_required
def lot_browse_facets(request):
    """The browse page's counts for its filters, as the fragment that replaces its choices."""
    lots = LotFilter(request.GET, queryset=lot_list_browsable(), request=request)
    context = {"filter": lots, "query_without_soh": _without_soh(request.GET)}
    if not lots.is_valid():
        context["facets"] = unfaceted(request.GET)
        return render(request, "marketplace/_lot_facets.html", context, status=422)
    context["facets"] = lot_facets(lots)
    return render(request, "marketplace/_lot_facets.html", context)


@login_required
def lot_detail(request, pk: int):
    lot = lot_for_page(user=request.user, pk=pk)
    if lot is None:
        raise Http404("No such lot, or not one you may open.")
    return render_lot_page(request, lot)


def sees_trail(user, lot) -> bool:
    """A lot's audit trail is for its supplier and the auditors."""
    return lot_can_manage(user=user, lot=lot) or is_auditor(user)


def _supplier_score(lot):
    """The buyer's view of the supplier's score: read with the lot (`lot_for_page`), or one
    query while the stored one is current."""
    if hasattr(lot, "score_outdated"):
        row = scorecard_of_lot(lot)
    else:
        row = scorecard_current(supplier_id=lot.supplier_id)
    return scorecard_view(row, access=Access.SUMMARY) if row else None


def _chart_pack_id(request, report) -> int | None:
    """Whose test the charts section draws: the asked-for measured pack, else the weakest one
    the lot is routed on."""
    measured = {run.pack_id: run for run in report.standing}
    measured |= {row.pack.pk: row.verification for row in report.packs if row.verification}
    asked = request.GET.get("pack", "")
    if asked.isdigit() and int(asked) in measured:
        return int(asked)
    if not measured:
        return None
    return min(measured.values(), key=lambda run: (run.measured_soh_pct, run.pack_id)).pack_id


def render_lot_page(request, lot, *, upload_form=None, upload_error: str = "", status: int = 200):
    """The lot page; the upload view re-renders it with its bound form when input is bad.

    A lot read by `lot_for_page` carries the user's roles and its supplier's score; the page
    then reads a constant number of queries whatever the number of packs, and no pack's
    measurement in full (the charts are the pack's own fragment, `pack_charts`)."""
    can_manage = getattr(lot, "user_manages", None)
    if can_manage is None:
        can_manage = lot_can_manage(user=request.user, lot=lot)
    can_commit = getattr(lot, "user_commits", None)
    if can_commit is None:
        can_commit = can_manage and lot_can_commit(user=request.user, lot=lot)
    auditor = is_auditor(request.user)
    show_all = request.GET.get("packs") == "all"
    report = lot_report(lot=lot, pack_limit=None if show_all else PACKS_SHOWN)
    card = lot_report_card(lot=lot, report=report)
    chart_pack = _chart_pack_id(request, report)
    context = {
        "lot": lot,
        "report": report,
        "card": card,
        "soh_chart": soh_distribution_svg(lot_id=lot.pk, bins=card.bins),
        "chart_pack_id": chart_pack,
        "show_all_packs": show_all,
        "can_manage": can_manage,
        "can_commit": can_manage and can_commit,
        "is_auditor": auditor,
        "upload_error": upload_error,
        "supplier_score": _supplier_score(lot),
        **history_context(request, lot, can_manage=can_manage),
    }
    if can_manage or auditor:
        records = list(test_record_list_for_lot(lot=lot))
        context["records"] = records
        context["polling"] = any(not r.is_settled for r in records)
        context["trail"] = list(lot_audit_trail(lot=lot))
    if can_manage:
        context["upload_form"] = upload_form or TestRecordUploadForm(lot=lot)
    return render(request, "marketplace/lot_detail.html", context, status=status)


@login_required
def lot_audit_csv(request, pk: int):
    """The lot's audit trail as CSV, hashes included, for the supplier's and auditors' files."""
    lot = get_object_or_404(lots_visible(user=request.user), pk=pk)
    if not sees_trail(request.user, lot):
        raise PermissionDenied("A lot's audit trail is for its supplier and the auditors.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lot-{lot.reference}-audit.csv"'
    columns = AuditEntrySerializer.Meta.fields
    writer = csv.writer(response)
    writer.writerow(columns)
    for entry in lot_audit_trail(lot=lot).iterator(chunk_size=2000):
        row = AuditEntrySerializer(entry).data
        for field in ("before", "after"):
            row[field] = "" if row[field] is None else json.dumps(row[field], sort_keys=True)
        writer.writerow([row[c] for c in columns])
    return response


@login_required
def pack_detail(request, pk: int):
    """One pack: its latest figures in full, how they were obtained, and every earlier result."""
    pack = get_object_or_404(Pack.objects.select_related("lot__pack_model"), pk=pk)
    lot = get_object_or_404(lots_visible(user=request.user), pk=pack.lot_id)
    can_manage = lot_can_manage(user=request.user, lot=lot)
    sees_test_data = can_manage or is_auditor(request.user)
    report = pack_report(pack=pack, include_failed=sees_test_data)
    context = {
        "lot": lot,
        "pack": pack,
        "report": report,
        "measurement": report.latest.measurement if report.latest else None,
        "charts": measurement_charts(report.latest.measurement) if report.latest else None,
        **history_context(request, lot, pack=pack, can_manage=can_manage),
    }
    if sees_test_data:
        records = list(test_record_list_for_pack(pack=pack))
        context["records"] = records
        context["polling"] = any(not r.is_settled for r in records)
    return render(request, "marketplace/pack_detail.html", context)


@login_required
def pack_charts(request, pk: int):
    """One pack's test charts (capacity per cycle, the discharge curve): a fragment the lot
    page loads when it scrolls into view, or a page of its own without JavaScript. Shown to
    whoever may open the pack's lot, as its pack page is."""
    pack = get_object_or_404(
        Pack.objects.select_related("lot").filter(lot__in=lots_visible(user=request.user)), pk=pk
    )
    run = pack_measured_run(pack=pack)
    context = {
        "lot": pack.lot,
        "pack": pack,
        "run": run,
        "measurement": run.measurement if run else None,
        "charts": measurement_charts(run.measurement) if run else None,
    }
    template = "marketplace/_pack_charts.html" if request.htmx else "marketplace/pack_charts.html"
    return render(request, template, context)
