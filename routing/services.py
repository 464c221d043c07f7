"""Routing writes: a decision as a pack or lot is measured, decisions for a chunk of lots, and
new rule-set versions.

Both decision paths build the engine's facts with the same functions, so a lot routed one at a
time and a lot routed in a bulk chunk get the same decision. Measured figures come in as plain
`PackMeasure` values from the lot pipeline.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import ApplicationError
from suppliers.models import HistoryEvent, Lot, Pack

from .domain import Decision, Thresholds, decide
from .domain.sampling import (
    DEFAULT_SAMPLE_PLAN,
    SamplePlanError,
    sample_plan_validated,
    sample_size_required,
)
from .domain.stored import decision_stored, stored_fired_names
from .facts import PackMeasure, lot_facts, lot_routing_inputs
from .models import RoutingDecision, RuleSet
from .selectors import decision_latest


def _decision_row(
    *,
    lot: Lot,
    pack: Pack | None,
    rule_set: RuleSet,
    decision: Decision,
    soh_pct: float | None,
) -> RoutingDecision:
    outcomes, figures = decision_stored(decision)
    return RoutingDecision(
        lot=lot,
        pack=pack,
        rule_set=rule_set,
        route=decision.route,
        provisional=decision.provisional,
        warranty=decision.warranty,
        outcomes=outcomes,
        figures=figures,
        soh_pct_used=soh_pct,
    )


@dataclass(frozen=True)
class Recorded:
    """A decision and whether it was appended (False: it repeated the latest one)."""

    decision: RoutingDecision
    created: bool


def routing_decision_record(
    *,
    lot: Lot,
    pack: Pack | None,
    rule_set: RuleSet,
    soh_pct: float | None,
    verified: bool,
    resistance_ratio: float | None = None,
    weakest_cell_soh_pct: float | None = None,
    soh_source: str = "",
    weakest_cell_source: str = "",
    force: bool = False,
) -> Recorded:
    """Decide one route and append it to the history, unless it repeats the latest decision.

    `force` appends even a repeat: a new measurement of a pack is a new decision, though it
    lands where the last one did.
    """
    facts = lot_facts(
        lot=lot,
        events=list(lot.history.all()),
        pack_id=pack.pk if pack else None,
        soh_pct=soh_pct,
        verified=verified,
        resistance_ratio=resistance_ratio,
        weakest_cell_soh_pct=weakest_cell_soh_pct,
        soh_source=soh_source,
        weakest_cell_source=weakest_cell_source,
    )
    decision = decide(facts, rule_set.as_thresholds())
    row = _decision_row(lot=lot, pack=pack, rule_set=rule_set, decision=decision, soh_pct=soh_pct)
    latest = decision_latest(lot_id=lot.pk, pack_id=pack.pk if pack else None)
    if (
        not force
        and latest is not None
        and latest.rule_set_id == rule_set.pk
        and (latest.route, latest.provisional) == (row.route, row.provisional)
        # A repeat shows the same words (the figures may differ below what they show).
        and latest.rules == decision.to_dict()["rules"]
    ):
        return Recorded(latest, created=False)
    row.save()
    return Recorded(row, created=True)


@dataclass
class LotOutcome:
    lot: Lot
    lot_decision: Decision
    lot_soh_pct: float
    pack_rows: list[tuple[Pack, PackMeasure, Decision]]
    sample_size: int


def lots_decide(
    *,
    lot_ids: Iterable[int],
    thresholds: Thresholds,
    measured: dict[int, PackMeasure],
    sample_plan: Sequence[Sequence[int]],
    lots: Sequence[Lot] | None = None,
) -> list[LotOutcome]:
    """Decide every lot of a chunk and its measured packs, in a fixed number of queries.

    `measured` maps pack ids to their latest measured figures; packs not in it are unmeasured.
    `lots`: the chunk's lots, already read with their pack models (a re-route locks them so),
    which spares reading them again.
    """
    lot_ids = list(lot_ids)
    if lots is None:
        lots = Lot.objects.filter(pk__in=lot_ids).select_related("pack_model", "supplier")
    lots = sorted(lots, key=lambda lot: lot.pk)
    events: dict[int, list[HistoryEvent]] = {}
    for event in HistoryEvent.objects.filter(lot_id__in=lot_ids):
        events.setdefault(event.lot_id, []).append(event)
    packs: dict[int, list[Pack]] = {}
    for pack in Pack.objects.filter(lot_id__in=lot_ids).order_by("pk"):
        packs.setdefault(pack.lot_id, []).append(pack)
    today = timezone.localdate()
    outcomes = []
    for lot in lots:
        lot_events, lot_packs = events.get(lot.pk, []), packs.get(lot.pk, [])
        for pack in lot_packs:
            pack.lot = lot  # effective_claimed_soh_pct reads the lot's claim without a query
        lot_measured = {p.pk: measured[p.pk] for p in lot_packs if p.pk in measured}
        sample_size = sample_size_required(lot.quantity, sample_plan)
        inputs = lot_routing_inputs(
            lot=lot, packs=lot_packs, measured=lot_measured, sample_size=sample_size
        )
        pack_rows = []
        for pack in lot_packs:
            if pack.pk not in lot_measured:
                continue
            m = lot_measured[pack.pk]
            facts = lot_facts(
                lot=lot, events=lot_events, pack_id=pack.pk, soh_pct=m.soh_pct, verified=m.stands,
                resistance_ratio=m.resistance_ratio, weakest_cell_soh_pct=m.weakest_cell_soh_pct,
                today=today, soh_source=f"measured on pack {pack.serial}",
            )  # fmt: skip
            pack_rows.append((pack, m, decide(facts, thresholds)))
        facts = lot_facts(
            lot=lot, events=lot_events, pack_id=None, soh_pct=inputs.soh_pct,
            verified=inputs.sample_measured, resistance_ratio=inputs.resistance_ratio,
            weakest_cell_soh_pct=inputs.weakest_cell_soh_pct, today=today,
            soh_source=inputs.soh_source, weakest_cell_source=inputs.weakest_cell_source,
        )  # fmt: skip
        outcomes.append(
            LotOutcome(lot, decide(facts, thresholds), inputs.soh_pct, pack_rows, sample_size)
        )
    return outcomes


@dataclass(frozen=True, slots=True)
class DecisionWritten:
    """A decision appended by the bulk path: what the audit entries and the read model need."""

    pk: int
    lot_id: int
    pack_id: int | None
    route: str
    provisional: bool
    soh_pct_used: float | None
    outcomes: str

    @property
    def fired_rule_names(self) -> list[str]:
        return stored_fired_names(self.outcomes)


_figures_json = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode

_COPY_COLUMNS = (
    "id", "lot_id", "pack_id", "rule_set_id", "route", "provisional", "warranty", "outcomes",
    "figures", "soh_pct_used", "created_at",
)  # fmt: skip


def routing_decisions_record_bulk(
    *, outcomes: Sequence[LotOutcome], rule_set: RuleSet
) -> list[DecisionWritten]:
    """Append the decisions of a decided chunk (packs, then each lot) in one bulk write.

    On PostgreSQL the rows go in by COPY, with their ids drawn from the table's sequence first
    (a re-route writes some 110,000 of them, and an INSERT's parameter handling costs several
    times the COPY); elsewhere by bulk_create.
    """
    decided = []
    for outcome in outcomes:
        lot_id = outcome.lot.pk
        for pack, m, decision in outcome.pack_rows:
            decided.append((lot_id, pack.pk, decision, m.soh_pct))
        decided.append((lot_id, None, outcome.lot_decision, outcome.lot_soh_pct))
    if not decided:
        return []
    if connection.vendor != "postgresql":
        rows = RoutingDecision.objects.bulk_create(
            [
                _decision_row(lot=Lot(pk=lot_id), pack=Pack(pk=pack_id) if pack_id else None,
                              rule_set=rule_set, decision=decision, soh_pct=soh)
                for lot_id, pack_id, decision, soh in decided
            ],
            batch_size=2000,
        )  # fmt: skip
        return [
            DecisionWritten(row.pk, row.lot_id, row.pack_id, row.route, row.provisional,
                            row.soh_pct_used, row.outcomes)
            for row in rows
        ]  # fmt: skip
    table = RoutingDecision._meta.db_table
    now = timezone.now()
    written = []
    # wrap_database_errors: a COPY's errors come as Django's (IntegrityError), as an INSERT's do.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(decided)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        columns = ", ".join(_COPY_COLUMNS)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, (lot_id, pack_id, decision, soh) in zip(ids, decided, strict=True):
                stored, figures = decision_stored(decision)
                route, provisional = decision.route, decision.provisional
                copy.write_row((
                    pk, lot_id, pack_id, rule_set.pk, route, provisional, decision.warranty,
                    stored, _figures_json(figures), soh, now,
                ))  # fmt: skip
                written.append(
                    DecisionWritten(pk, lot_id, pack_id, route, provisional, soh, stored)
                )
    return written


@transaction.atomic
def rule_set_create_version(
    *,
    user: AbstractBaseUser | None,
    name: str,
    thresholds: Thresholds,
    notes: str = "",
    sample_plan: Sequence[Sequence[int]] | None = None,
) -> RuleSet:
    """Save thresholds (and the sampling plan) as the next version of `name` and make it the
    one active rule set."""
    try:
        plan = sample_plan_validated(DEFAULT_SAMPLE_PLAN if sample_plan is None else sample_plan)
    except SamplePlanError as exc:
        raise ApplicationError(f"Sampling plan: {exc}.", field="sample_plan") from exc
    RuleSet.objects.select_for_update().filter(is_active=True).update(is_active=False)
    version = (RuleSet.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0) + 1
    return RuleSet.objects.create(
        name=name,
        version=version,
        thresholds=thresholds.to_dict(),
        sample_plan=[list(row) for row in plan],
        is_active=True,
        notes=notes,
        created_by=user,
    )


def routing_decisions_move(*, pack_ids: list[int], to_lot: Lot) -> None:
    """Packs split off to another lot take their decision history with them."""
    RoutingDecision.objects.filter(pack_id__in=pack_ids).update(lot=to_lot)
