from dataclasses import dataclass

from django.db.models import QuerySet

from routing.models import RoutingDecision
from routing.selectors import decision_latest
from suppliers.choices import BROWSABLE_LOT_STATUSES
from suppliers.models import Lot, Pack
from verification.models import Verification
from verification.selectors import verification_history_for_pack, verification_latest_per_pack


def lot_list_browsable() -> QuerySet[Lot]:
    """What buyers browse: only lots whose figures were measured and confirmed."""
    return Lot.objects.filter(status__in=BROWSABLE_LOT_STATUSES).select_related(
        "supplier", "pack_model"
    )


@dataclass(frozen=True)
class PackRow:
    pack: Pack
    verification: Verification | None
    decision: RoutingDecision | None


@dataclass(frozen=True)
class LotReport:
    lot: Lot
    decision: RoutingDecision | None
    packs: list[PackRow]

    @property
    def splittable(self) -> bool:
        """Measured packs fall in more than one route: the lot can be split by route."""
        return len({row.decision.route for row in self.packs if row.decision}) > 1


def lot_report(*, lot: Lot) -> LotReport:
    """Everything the lot page shows: per-pack figures and routes, and the lot's own route."""
    latest = verification_latest_per_pack(lot=lot)
    decisions: dict[int, RoutingDecision] = {}
    for decision in RoutingDecision.objects.filter(lot=lot, pack__isnull=False).order_by(
        "pack_id", "-created_at", "-pk"
    ):
        decisions.setdefault(decision.pack_id, decision)
    rows = [
        PackRow(pack=p, verification=latest.get(p.pk), decision=decisions.get(p.pk))
        for p in lot.packs.all()
    ]
    return LotReport(lot=lot, decision=decision_latest(lot_id=lot.pk), packs=rows)


@dataclass(frozen=True)
class PackReport:
    pack: Pack
    latest: Verification | None  # the figures shown: the newest run that measured an SOH
    decision: RoutingDecision | None
    history: list[Verification]


def pack_report(*, pack: Pack, include_failed: bool) -> PackReport:
    history = list(verification_history_for_pack(pack=pack, include_failed=include_failed))
    latest = next(
        (run for run in history if run.measured_soh_pct is not None and run.measurement), None
    )
    decision = RoutingDecision.objects.filter(pack=pack).order_by("-created_at", "-pk").first()
    return PackReport(pack=pack, latest=latest, decision=decision, history=history)
