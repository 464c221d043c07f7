from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from suppliers.choices import LotStatus
from suppliers.models import Lot
from verification.choices import VerificationStatus
from verification.models import Verification

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
        .order_by("-created_at", "-pk")
        .first()
    )


def lots_routable() -> QuerySet[Lot]:
    return Lot.objects.exclude(status__in=FROZEN_LOT_STATUSES)


@dataclass(frozen=True)
class PackMeasure:
    """What routing takes from a pack's latest measured verification."""

    verification_id: int
    soh_pct: float
    resistance_ratio: float | None
    weakest_cell_soh_pct: float | None


def measured_by_pack(*, lot_ids: list[int]) -> dict[int, PackMeasure]:
    """Each pack's latest verification that measured an SOH, by pack id."""
    runs = (
        Verification.objects.filter(
            pack__lot_id__in=lot_ids,
            status=VerificationStatus.DONE,
            measured_soh_pct__isnull=False,
        )
        .order_by("pack_id", "-finished_at", "-pk")
        .values_list(
            "pack_id",
            "pk",
            "measured_soh_pct",
            "measurement__resistance_ratio",
            "measurement__weakest_cell_soh_pct",
        )
    )
    latest: dict[int, PackMeasure] = {}
    for pack_id, *values in runs:
        if pack_id not in latest:
            latest[pack_id] = PackMeasure(*values)
    return latest


@dataclass
class RoutePreview:
    """What publishing thresholds would do: lots whose route would change, and counts."""

    lots_checked: int = 0
    transitions: Counter = field(default_factory=Counter)
    changes: list[dict] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(self.transitions.values())

    @property
    def transition_rows(self) -> list[tuple[str, str, int]]:
        """(from, to, count), most common first; templates cannot iterate a Counter."""
        return [(old, new, count) for (old, new), count in self.transitions.most_common()]


def rule_set_preview(
    *, thresholds: Thresholds, chunk_size: int = 500, listed: int = 200
) -> RoutePreview:
    """Decide every routable lot under new thresholds without writing anything."""
    from .services import lots_decide

    preview = RoutePreview()
    ids = list(lots_routable().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        for outcome in lots_decide(lot_ids=ids[start : start + chunk_size], thresholds=thresholds):
            preview.lots_checked += 1
            if not outcome.changed:
                continue
            old = outcome.lot.route or "none"
            new = outcome.lot_decision.route
            preview.transitions[(old, new)] += 1
            if len(preview.changes) < listed:
                preview.changes.append(
                    {
                        "lot": outcome.lot,
                        "old": old,
                        "new": new,
                        "provisional": outcome.lot_decision.provisional,
                    }
                )
    return preview


def reroute_job_latest() -> RerouteJob | None:
    return RerouteJob.objects.select_related("rule_set").first()
