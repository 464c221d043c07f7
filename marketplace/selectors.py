from dataclasses import dataclass

from django.db.models import QuerySet

from routing.models import RoutingDecision
from routing.selectors import decision_latest
from suppliers.choices import BROWSABLE_LOT_STATUSES
from suppliers.models import Lot, Pack
from verification.models import Verification
from verification.selectors import verification_latest_per_pack


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
