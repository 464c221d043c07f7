from django.db import IntegrityError, transaction

from .domain import Thresholds
from .models import RoutingDecision, RuleSet

DEFAULT_RULE_SET_NAME = "default"


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


def decision_latest(*, lot_id: int, pack_id: int | None = None) -> RoutingDecision | None:
    return (
        RoutingDecision.objects.filter(lot_id=lot_id, pack_id=pack_id)
        .order_by("-created_at", "-pk")
        .first()
    )
