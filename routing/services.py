from datetime import date

from django.utils import timezone

from suppliers.choices import ROUTING_EVENT_NAMES, HistoryEventKind
from suppliers.models import Lot, Pack

from .domain import PackFacts, decide
from .models import RoutingDecision, RuleSet
from .selectors import decision_latest


def _calendar_expired(lot: Lot, today: date) -> bool:
    life_years = lot.pack_model.calendar_life_years
    if not life_years:
        return False
    made = [e.occurred_on for e in lot.history.all() if e.kind == HistoryEventKind.MANUFACTURED]
    if not made:
        return False
    manufactured = min(made)
    try:
        expiry = manufactured.replace(year=manufactured.year + life_years)
    except ValueError:  # 29 February
        expiry = manufactured.replace(year=manufactured.year + life_years, day=28)
    return today > expiry


def lot_facts(*, lot: Lot, pack: Pack | None, soh_pct: float | None, verified: bool) -> PackFacts:
    """The routing engine's view of a lot (or one of its packs): plain values only."""
    events = [
        e for e in lot.history.all() if e.pack_id is None or pack is None or e.pack_id == pack.pk
    ]
    return PackFacts(
        chemistry=lot.pack_model.chemistry,
        soh_pct=soh_pct,
        events=frozenset(
            ROUTING_EVENT_NAMES[e.kind] for e in events if e.kind in ROUTING_EVENT_NAMES
        ),
        has_history=bool(events),
        calendar_expired=_calendar_expired(lot, timezone.localdate()),
        verified=verified,
    )


def routing_decision_record(
    *,
    lot: Lot,
    pack: Pack | None,
    rule_set: RuleSet,
    soh_pct: float | None,
    verified: bool,
    verification=None,
) -> RoutingDecision:
    """Decide a route and append it to the history, unless it repeats the latest decision."""
    facts = lot_facts(lot=lot, pack=pack, soh_pct=soh_pct, verified=verified)
    decision = decide(facts, rule_set.as_thresholds()).to_dict()
    latest = decision_latest(lot_id=lot.pk, pack_id=pack.pk if pack else None)
    if (
        latest is not None
        and latest.rule_set_id == rule_set.pk
        and latest.route == decision["route"]
        and latest.provisional == decision["provisional"]
        and latest.rules == decision["rules"]
        and (verification is None or latest.verification_id == verification.pk)
    ):
        return latest
    return RoutingDecision.objects.create(
        lot=lot,
        pack=pack,
        verification=verification,
        rule_set=rule_set,
        route=decision["route"],
        provisional=decision["provisional"],
        warranty=decision["warranty"],
        rules=decision["rules"],
        soh_pct_used=soh_pct,
    )
