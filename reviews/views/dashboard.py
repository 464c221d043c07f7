"""The supplier's dashboard: its lots by status with their verification progress against the
sampling plan, the auditors' open questions and requests, and its score with what would raise
it. It gathers what the supplier's other pages show in full."""

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from marketplace.scorecards import Access, scorecard_view, scorecards_current
from suppliers.choices import LotStatus
from suppliers.models import Lot
from suppliers.selectors import lot_list_owned, pack_model_list, supplier_organisations

from ..choices import SupplierRequestStatus
from ..selectors import supplier_request_counts, supplier_requests_for

# Lots still in play: what the supplier acts on. Sold and withdrawn ones are counted only.
ACTIVE_STATUSES = tuple(s for s in LotStatus.values if s not in ("sold", "withdrawn"))
ACTIVE_SHOWN = 50
REQUESTS_SHOWN = 5


@dataclass(frozen=True)
class LotProgress:
    lot: Lot
    measured: int  # distinct packs with a complete, consistent measurement
    required: int  # packs the sampling plan asks for
    open_requests: int

    @property
    def needs(self) -> int:
        return max(self.required - self.measured, 0)


@login_required
def supplier_dashboard(request) -> HttpResponse:
    organisations = supplier_organisations(user=request.user)
    if not organisations.exists():
        raise PermissionDenied("The dashboard is for members of a supplier organisation.")
    owned = lot_list_owned(user=request.user)
    by_status = Counter(
        dict(owned.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    )
    context = {
        "by_status": [(s, label, by_status.get(s, 0)) for s, label in LotStatus.choices],
        "lots": _active_lots(owned),
        "active_total": sum(by_status.get(s, 0) for s in ACTIVE_STATUSES),
        "requests": list(
            supplier_requests_for(user=request.user)
            .filter(status=SupplierRequestStatus.OPEN)
            .prefetch_related(None)  # the answers are not shown here
            .order_by("-asked_at")[:REQUESTS_SHOWN]
        ),
        "open_requests": supplier_requests_for(user=request.user)
        .filter(status=SupplierRequestStatus.OPEN)
        .count(),
        "proposals": pack_model_list(user=request.user).filter(approved_at__isnull=True).count(),
        "scores": [
            scorecard_view(row, access=Access.FULL)
            for row in scorecards_current(organisations=organisations)
        ],
    }
    return render(request, "reviews/supplier_dashboard.html", context)


def _active_lots(owned) -> list[LotProgress]:
    lots = list(
        owned.filter(status__in=ACTIVE_STATUSES)
        .select_related("summary")
        .order_by("-updated_at")[:ACTIVE_SHOWN]
    )
    counts = supplier_request_counts(lot_ids=[lot.pk for lot in lots])
    out = []
    for lot in lots:
        summary = getattr(lot, "summary", None)
        out.append(
            LotProgress(
                lot=lot,
                measured=summary.packs_measured if summary else 0,
                required=summary.sample_size_required if summary else 0,
                open_requests=counts.get(lot.pk, {}).get("open", 0),
            )
        )
    return out


urlpatterns = [path("supplier/", supplier_dashboard, name="supplier-dashboard")]
