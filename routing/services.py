"""Routing writes: single decisions as verification finishes, bulk re-routes after rule changes.

Both paths build the engine's facts with the same functions, so a lot routed one at a time and a
lot routed in a bulk chunk get the same decision.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, Max
from django.db.models.functions import Greatest
from django.utils import timezone

from suppliers.choices import ROUTING_EVENT_NAMES, HistoryEventKind
from suppliers.models import HistoryEvent, Lot, Pack

from .domain import Decision, PackFacts, Thresholds, decide
from .models import RerouteJob, RerouteJobStatus, RoutingDecision, RuleSet
from .selectors import PackMeasure, decision_latest, lots_routable, measured_by_pack


def _calendar_expired(lot: Lot, events: Sequence[HistoryEvent], today: date) -> bool:
    life_years = lot.pack_model.calendar_life_years
    made = [e.occurred_on for e in events if e.kind == HistoryEventKind.MANUFACTURED]
    if not life_years or not made:
        return False
    manufactured = min(made)
    try:
        expiry = manufactured.replace(year=manufactured.year + life_years)
    except ValueError:  # 29 February
        expiry = manufactured.replace(year=manufactured.year + life_years, day=28)
    return today > expiry


def lot_facts(
    *,
    lot: Lot,
    events: Sequence[HistoryEvent],
    pack_id: int | None,
    soh_pct: float | None,
    verified: bool,
    resistance_ratio: float | None = None,
    weakest_cell_soh_pct: float | None = None,
    today: date | None = None,
) -> PackFacts:
    """The engine's view of a lot (pack_id None) or of one of its packs: plain values only."""
    relevant = [e for e in events if e.pack_id is None or pack_id is None or e.pack_id == pack_id]
    return PackFacts(
        chemistry=lot.pack_model.chemistry,
        soh_pct=soh_pct,
        resistance_ratio=resistance_ratio,
        weakest_cell_soh_pct=weakest_cell_soh_pct,
        events=frozenset(
            ROUTING_EVENT_NAMES[e.kind] for e in relevant if e.kind in ROUTING_EVENT_NAMES
        ),
        has_history=bool(relevant),
        calendar_expired=_calendar_expired(lot, relevant, today or timezone.localdate()),
        verified=verified,
    )


@dataclass(frozen=True)
class LotInputs:
    soh_pct: float
    all_measured: bool
    resistance_ratio: float | None
    weakest_cell_soh_pct: float | None


def lot_routing_inputs(
    *, lot: Lot, packs: Sequence[Pack], measured: dict[int, PackMeasure]
) -> LotInputs:
    """The figures a lot is routed on: those of its weakest pack.

    A buyer takes every pack of the lot, so the lot is promised at its lowest measured SOH (the
    claim stands in for packs not yet measured), its highest resistance and its weakest cell.
    """
    per_pack = [
        measured[p.pk].soh_pct if p.pk in measured else float(p.effective_claimed_soh_pct)
        for p in packs
    ]
    ratios = [m.resistance_ratio for m in measured.values() if m.resistance_ratio is not None]
    cells = [
        m.weakest_cell_soh_pct for m in measured.values() if m.weakest_cell_soh_pct is not None
    ]
    return LotInputs(
        soh_pct=min(per_pack) if per_pack else float(lot.claimed_soh_pct),
        all_measured=bool(packs) and all(p.pk in measured for p in packs),
        resistance_ratio=max(ratios) if ratios else None,
        weakest_cell_soh_pct=min(cells) if cells else None,
    )


def _decision_row(
    *,
    lot: Lot,
    pack: Pack | None,
    rule_set: RuleSet,
    decision: Decision,
    soh_pct: float | None,
    verification_id: int | None = None,
) -> RoutingDecision:
    data = decision.to_dict()
    return RoutingDecision(
        lot=lot,
        pack=pack,
        verification_id=verification_id,
        rule_set=rule_set,
        route=data["route"],
        provisional=data["provisional"],
        warranty=data["warranty"],
        rules=data["rules"],
        soh_pct_used=soh_pct,
    )


def routing_decision_record(
    *,
    lot: Lot,
    pack: Pack | None,
    rule_set: RuleSet,
    soh_pct: float | None,
    verified: bool,
    resistance_ratio: float | None = None,
    weakest_cell_soh_pct: float | None = None,
    verification=None,
) -> RoutingDecision:
    """Decide one route and append it to the history, unless it repeats the latest decision."""
    facts = lot_facts(
        lot=lot,
        events=list(lot.history.all()),
        pack_id=pack.pk if pack else None,
        soh_pct=soh_pct,
        verified=verified,
        resistance_ratio=resistance_ratio,
        weakest_cell_soh_pct=weakest_cell_soh_pct,
    )
    row = _decision_row(
        lot=lot,
        pack=pack,
        rule_set=rule_set,
        decision=decide(facts, rule_set.as_thresholds()),
        soh_pct=soh_pct,
        verification_id=verification.pk if verification else None,
    )
    latest = decision_latest(lot_id=lot.pk, pack_id=pack.pk if pack else None)
    if (
        latest is not None
        and latest.rule_set_id == rule_set.pk
        and (latest.route, latest.provisional, latest.rules)
        == (row.route, row.provisional, row.rules)
        and (verification is None or latest.verification_id == verification.pk)
    ):
        return latest
    row.save()
    return row


@dataclass
class LotOutcome:
    lot: Lot
    lot_decision: Decision
    lot_soh_pct: float
    pack_rows: list[tuple[Pack, PackMeasure, Decision]]

    @property
    def changed(self) -> bool:
        return (self.lot.route, self.lot.route_provisional) != (
            self.lot_decision.route,
            self.lot_decision.provisional,
        )


def lots_decide(*, lot_ids: Iterable[int], thresholds: Thresholds) -> list[LotOutcome]:
    """Decide every lot of a chunk and its measured packs, in a fixed number of queries."""
    lot_ids = list(lot_ids)
    lots = list(
        Lot.objects.filter(pk__in=lot_ids).select_related("pack_model", "supplier").order_by("pk")
    )
    events: dict[int, list[HistoryEvent]] = {}
    for event in HistoryEvent.objects.filter(lot_id__in=lot_ids):
        events.setdefault(event.lot_id, []).append(event)
    packs: dict[int, list[Pack]] = {}
    for pack in Pack.objects.filter(lot_id__in=lot_ids).order_by("pk"):
        packs.setdefault(pack.lot_id, []).append(pack)
    latest = measured_by_pack(lot_ids=lot_ids)
    today = timezone.localdate()
    outcomes = []
    for lot in lots:
        lot_events, lot_packs = events.get(lot.pk, []), packs.get(lot.pk, [])
        for pack in lot_packs:
            pack.lot = lot  # effective_claimed_soh_pct reads the lot's claim without a query
        measured = {p.pk: latest[p.pk] for p in lot_packs if p.pk in latest}
        inputs = lot_routing_inputs(lot=lot, packs=lot_packs, measured=measured)
        pack_rows = []
        for pack in lot_packs:
            if pack.pk not in measured:
                continue
            m = measured[pack.pk]
            facts = lot_facts(
                lot=lot, events=lot_events, pack_id=pack.pk, soh_pct=m.soh_pct, verified=True,
                resistance_ratio=m.resistance_ratio, weakest_cell_soh_pct=m.weakest_cell_soh_pct,
                today=today,
            )  # fmt: skip
            pack_rows.append((pack, m, decide(facts, thresholds)))
        facts = lot_facts(
            lot=lot, events=lot_events, pack_id=None, soh_pct=inputs.soh_pct,
            verified=inputs.all_measured, resistance_ratio=inputs.resistance_ratio,
            weakest_cell_soh_pct=inputs.weakest_cell_soh_pct, today=today,
        )  # fmt: skip
        outcomes.append(LotOutcome(lot, decide(facts, thresholds), inputs.soh_pct, pack_rows))
    return outcomes


@transaction.atomic
def lots_reroute_chunk(*, lot_ids: Iterable[int], rule_set: RuleSet) -> int:
    """Re-route one chunk of lots under a rule set; returns how many lots changed route."""
    outcomes = lots_decide(lot_ids=lot_ids, thresholds=rule_set.as_thresholds())
    rows = []
    for outcome in outcomes:
        for pack, m, decision in outcome.pack_rows:
            rows.append(
                _decision_row(
                    lot=outcome.lot, pack=pack, rule_set=rule_set, decision=decision,
                    soh_pct=m.soh_pct, verification_id=m.verification_id,
                )
            )  # fmt: skip
        rows.append(
            _decision_row(
                lot=outcome.lot, pack=None, rule_set=rule_set, decision=outcome.lot_decision,
                soh_pct=outcome.lot_soh_pct,
            )
        )  # fmt: skip
    RoutingDecision.objects.bulk_create(rows, batch_size=2000)
    changed = sum(outcome.changed for outcome in outcomes)
    for outcome in outcomes:
        outcome.lot.route = outcome.lot_decision.route
        outcome.lot.route_provisional = outcome.lot_decision.provisional
        outcome.lot.route_rule_set = rule_set
    Lot.objects.bulk_update(
        [o.lot for o in outcomes], ["route", "route_provisional", "route_rule_set"], batch_size=1000
    )
    return changed


@transaction.atomic
def rule_set_publish(
    *, user: AbstractBaseUser | None, name: str, thresholds: Thresholds, notes: str = ""
) -> RerouteJob:
    """Save thresholds as the next version, make it the active rule set, queue the re-route."""
    from .tasks import reroute_lots

    RuleSet.objects.select_for_update().filter(is_active=True).update(is_active=False)
    version = (RuleSet.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0) + 1
    rule_set = RuleSet.objects.create(
        name=name,
        version=version,
        thresholds=thresholds.to_dict(),
        is_active=True,
        notes=notes,
        created_by=user,
    )
    job = RerouteJob.objects.create(
        rule_set=rule_set, created_by=user, total_lots=lots_routable().count()
    )
    transaction.on_commit(lambda: reroute_lots.delay(job.pk))
    return job


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def reroute_job_run(*, job_id: int, chunk_size: int = 1000) -> RerouteJob:
    """Re-route every routable lot under the job's rule set, chunk by chunk, with progress.

    Resumable and safe to run twice: a lot already routed under this rule set is skipped, so a
    redelivered task continues where the last one stopped.
    """
    claimed = RerouteJob.objects.filter(
        pk=job_id, status__in=[RerouteJobStatus.PENDING, RerouteJobStatus.RUNNING]
    ).update(status=RerouteJobStatus.RUNNING, started_at=timezone.now())
    job = RerouteJob.objects.select_related("rule_set").get(pk=job_id)
    if not claimed:
        return job
    rule_set = job.rule_set
    pending = lots_routable().exclude(route_rule_set=rule_set).order_by("pk")
    last_pk = 0
    while True:
        if not RuleSet.objects.filter(pk=rule_set.pk, is_active=True).exists():
            # A newer rule set was published; its own job routes every lot.
            job.error = "Stopped: a newer rule set was published before this re-route finished."
            break
        ids = list(pending.filter(pk__gt=last_pk).values_list("pk", flat=True)[:chunk_size])
        if not ids:
            break
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            changed = lots_reroute_chunk(lot_ids=ids, rule_set=rule_set)
        last_pk = ids[-1]
        RerouteJob.objects.filter(pk=job.pk).update(
            processed_lots=F("processed_lots") + len(ids),
            changed_lots=F("changed_lots") + changed,
            chunks=F("chunks") + 1,
            max_queries_per_chunk=Greatest("max_queries_per_chunk", counter.count),
        )
    RerouteJob.objects.filter(pk=job.pk).update(
        status=RerouteJobStatus.DONE, finished_at=timezone.now(), error=job.error
    )
    job.refresh_from_db()
    return job


ROUTE_SUFFIXES = {
    "reuse-ESS": "ESS",
    "small-application": "SMALL",
    "recycle": "RECYCLE",
    "hold": "HOLD",
}
ROUTE_PREFERENCE = ("reuse-ESS", "small-application", "hold", "recycle")
UNSPLITTABLE_STATUSES = ("reserved", "sold", "withdrawn")


def _free_reference(lot: Lot, base: str) -> str:
    reference, n = base, 1
    while Lot.objects.filter(supplier=lot.supplier, reference=reference).exists():
        n += 1
        reference = f"{base}-{n}"
    return reference


@transaction.atomic
def lot_split_by_route(*, user: AbstractBaseUser, lot: Lot) -> list[Lot]:
    """Split a lot whose measured packs fall in several routes into one sub-lot per route.

    The lot keeps its largest route group (and any unmeasured packs); each other group moves,
    with its test data, decisions and pack history, to a sub-lot a buyer can take on its own.
    """
    from suppliers.errors import ApplicationError
    from suppliers.selectors import is_auditor, lot_can_manage
    from verification.services import lot_recompute

    if not (lot_can_manage(user=user, lot=lot) or is_auditor(user)):
        raise ApplicationError("Only the lot's supplier or an auditor can split it.")
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status in UNSPLITTABLE_STATUSES:
        raise ApplicationError(f"A {lot.status} lot cannot be split.")
    groups: dict[str, list[int]] = {}
    for pack_id, route in pack_routes_latest(lot_id=lot.pk).items():
        groups.setdefault(route, []).append(pack_id)
    if len(groups) < 2:
        raise ApplicationError("All measured packs of this lot share one route; nothing to split.")
    keep = max(groups, key=lambda r: (len(groups[r]), -ROUTE_PREFERENCE.index(r)))
    lot_events = list(HistoryEvent.objects.filter(lot=lot, pack__isnull=True))
    sub_lots = []
    for route in sorted(groups, key=ROUTE_PREFERENCE.index):
        if route == keep:
            continue
        pack_ids = groups[route]
        sub_lot = Lot.objects.create(
            parent=lot,
            supplier=lot.supplier,
            reference=_free_reference(lot, f"{lot.reference}-{ROUTE_SUFFIXES[route]}"),
            pack_model=lot.pack_model,
            location=lot.location,
            quantity=len(pack_ids),
            claimed_soh_pct=lot.claimed_soh_pct,
            price_per_kwh=lot.price_per_kwh,
            status=lot.status,
            created_by=user,
        )
        Pack.objects.filter(pk__in=pack_ids).update(lot=sub_lot)
        HistoryEvent.objects.filter(pack_id__in=pack_ids).update(lot=sub_lot)
        RoutingDecision.objects.filter(pack_id__in=pack_ids).update(lot=sub_lot)
        HistoryEvent.objects.bulk_create(
            HistoryEvent(
                lot=sub_lot, kind=e.kind, occurred_on=e.occurred_on, actor=e.actor, vin=e.vin,
                custody_from=e.custody_from, custody_to=e.custody_to, notes=e.notes,
            )
            for e in lot_events
        )  # fmt: skip
        lot.quantity -= len(pack_ids)
        sub_lots.append(sub_lot)
    lot.quantity = max(lot.quantity, lot.packs.count(), 1)
    lot.save(update_fields=["quantity", "updated_at"])
    for affected in (lot, *sub_lots):
        lot_recompute(lot_id=affected.pk)
    for sub_lot in sub_lots:
        sub_lot.refresh_from_db()
    return sub_lots


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
