from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from suppliers.choices import LotStatus
from suppliers.models import Lot

from .domain import Thresholds
from .models import RerouteJob, RoutingDecision, RuleSet

DEFAULT_RULE_SET_NAME = "default"
# Sold and withdrawn lots keep the route they left with.
FROZEN_LOT_STATUSES = (LotStatus.SOLD, LotStatus.WITHDRAWN)


def rule_set_active() -> RuleSet:
    """The active rule set; the default thresholds of DESIGN.md are created on first use."""
    rule_set = RuleSet.objects.filter(is_active=True).first()
    if rule_set is not None:
        return rule_set
    try:
        with transaction.atomic():
            return RuleSet.objects.create(
                name=DEFAULT_RULE_SET_NAME,
                version=1,
                thresholds=Thresholds().to_dict(),
                is_active=True,
                notes="The default rule set of the design: chemistry, safety, 20-60-80 % bands.",
            )
    except IntegrityError:
        # Another process created it between our read and our insert.
        return RuleSet.objects.get(is_active=True)


def rule_set_list() -> QuerySet[RuleSet]:
    return RuleSet.objects.select_related("created_by").order_by("-is_active", "name", "-version")


def decision_latest(*, lot_id: int, pack_id: int | None = None) -> RoutingDecision | None:
    return (
        RoutingDecision.objects.filter(lot_id=lot_id, pack_id=pack_id)
        .select_related("rule_set")
        .order_by("-created_at", "-pk")
        .first()
    )


def decisions_latest_of_lot(*, lot_id: int) -> dict[int | None, RoutingDecision]:
    """The latest decision of each of a lot's packs (by pack id) and of the lot itself (under
    None), with their rule sets, in one query: a window ranks each pack's decisions, so the
    history kept by every re-route is never sent to Python."""
    latest_first = [F("created_at").desc(), F("pk").desc()]
    ranked = (
        # A pack split off to a sub-lot keeps its decisions here; they are no longer this lot's.
        RoutingDecision.objects.filter(lot_id=lot_id)
        .filter(Q(pack__isnull=True) | Q(pack__lot_id=lot_id))
        .select_related("rule_set")
        .annotate(rank=Window(RowNumber(), partition_by=[F("pack_id")], order_by=latest_first))
        .filter(rank=1)
    )
    return {decision.pack_id: decision for decision in ranked}


def lot_decisions_latest(*, lot_ids: list[int]) -> dict[int, RoutingDecision]:
    """Each lot's own latest decision (not its packs'), by lot id, in one query: the same
    window as decisions_latest_of_lot, partitioned by lot."""
    latest_first = [F("created_at").desc(), F("pk").desc()]
    ranked = (
        RoutingDecision.objects.filter(lot_id__in=lot_ids, pack__isnull=True)
        .annotate(rank=Window(RowNumber(), partition_by=[F("lot_id")], order_by=latest_first))
        .filter(rank=1)
    )
    return {decision.lot_id: decision for decision in ranked}


def lots_routable() -> QuerySet[Lot]:
    return Lot.objects.exclude(status__in=FROZEN_LOT_STATUSES)


def pack_routes_latest(*, lot_id: int) -> dict[int, str]:
    """Each measured pack's current route, from its latest decision."""
    routes: dict[int, str] = {}
    for pack_id, route in (
        RoutingDecision.objects.filter(lot_id=lot_id, pack__isnull=False, pack__lot_id=lot_id)
        .order_by("pack_id", "-created_at", "-pk")
        .values_list("pack_id", "route")
    ):
        routes.setdefault(pack_id, route)
    return routes


def reroute_job_latest() -> RerouteJob | None:
    return RerouteJob.objects.select_related("rule_set").first()
