"""The auditors' queue: everything that needs a person, ranked by risk.

Read side only. The number of queries is fixed, whatever the number of lots, packs or items:
each kind of item comes from one query over all lots, the facts behind the risk scores from one
query each, and the rest is done in Python over those rows.

Only each pack's latest finished run counts: a superseded run is history, not work. A lot with
a question or data request still open is with its supplier and leaves the queue until the
supplier answers.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from routing.choices import RouteChoice
from routing.models import RoutingDecision, decision_words
from suppliers.choices import ROUTING_EVENT_NAMES, LotStatus
from suppliers.models import HistoryEvent, Lot, Organisation, Pack
from verification.choices import AUDIT_VERDICTS, Verdict, VerificationStatus
from verification.models import Verification

from .choices import SupplierRequestStatus
from .domain.risk import ITEM_KIND_LABELS, ItemKind, RiskFacts, risk_score
from .models import SupplierRequest

# A lot still on offer or on its way there; drafts are the supplier's, and rejected, reserved,
# sold or withdrawn lots are settled.
# Lots whose verification is still open: evidence that proved nothing holds them up.
AWAITING_DECISION_STATUSES = (LotStatus.SUBMITTED, LotStatus.VERIFYING, LotStatus.DISCREPANCY)
ACTIVE_LOT_STATUSES = (
    LotStatus.SUBMITTED,
    LotStatus.VERIFYING,
    LotStatus.VERIFIED,
    LotStatus.DISCREPANCY,
    LotStatus.LISTED,
)
# A lot short of its sampling plan this long after it was submitted needs someone to chase it.
SHORT_OF_PLAN_AFTER = timedelta(days=14)
EVIDENCE_KINDS = {
    Verdict.DISCREPANCY: ItemKind.DISCREPANCY,
    Verdict.DUPLICATE: ItemKind.DUPLICATE,
    Verdict.INCONCLUSIVE: ItemKind.INCONCLUSIVE,
    Verdict.REJECTED: ItemKind.REJECTED_EVIDENCE,
    Verdict.UNAPPROVED_MODEL: ItemKind.UNAPPROVED_MODEL,
}
RISK_EVENT_KINDS = tuple(ROUTING_EVENT_NAMES)
FINISHED = (VerificationStatus.DONE, VerificationStatus.FAILED)


@dataclass(frozen=True)
class QueueItem:
    kind: ItemKind
    lot: Lot
    pack: Pack | None
    since: datetime
    score: int
    reasons: list[str]
    summary: str
    run: Verification | None = None
    request: SupplierRequest | None = None
    now: datetime = field(default_factory=timezone.now, compare=False)

    @property
    def kind_label(self) -> str:
        return ITEM_KIND_LABELS[self.kind]

    @property
    def supplier(self) -> Organisation:
        return self.lot.supplier

    @property
    def chemistry(self) -> str:
        return self.lot.pack_model.chemistry

    @property
    def age_days(self) -> int:
        return max((self.now - self.since).days, 0)

    @property
    def link(self) -> str:
        url = reverse("review-lot", args=[self.lot.pk])
        return f"{url}#pack-{self.pack.pk}" if self.pack else url


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]  # filtered, riskiest first
    counts: dict[str, int]  # items per kind under every filter but the kind
    waiting_for_supplier: int  # lots left out because a request is with their supplier

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def count_rows(self) -> list[tuple[str, str, int]]:
        return [(kind.value, ITEM_KIND_LABELS[kind], self.counts.get(kind, 0)) for kind in ItemKind]


def _latest_run_id() -> Subquery:
    return Subquery(
        Verification.objects.filter(pack=OuterRef("pack"), status__in=FINISHED)
        .order_by("-finished_at", "-pk")
        .values("pk")[:1]
    )


def _scoped(queryset: QuerySet, prefix: str, *, chemistry: str, supplier_id: int | None):
    if chemistry:
        queryset = queryset.filter(**{f"{prefix}pack_model__chemistry": chemistry})
    if supplier_id:
        queryset = queryset.filter(**{f"{prefix}supplier_id": supplier_id})
    return queryset


def _evidence_runs(*, chemistry: str, supplier_id: int | None) -> list[Verification]:
    """Each pack's latest finished run, where it needs a person: a discrepancy or duplicate on a
    lot still in discrepancy (an auditor's decision settles it), an inconclusive or rejected test,
    or a run that failed, on a lot still being verified (new data or a re-run settles it)."""
    runs = (
        Verification.objects.filter(status__in=FINISHED, pack__lot__status__in=ACTIVE_LOT_STATUSES)
        .filter(
            Q(verdict__in=AUDIT_VERDICTS, pack__lot__status=LotStatus.DISCREPANCY)
            # On a lot that met its plan (verified, listed) an extra test that proved nothing
            # holds nothing up and no decision could clear it: not work for a person.
            | (
                (
                    Q(verdict__in=[Verdict.INCONCLUSIVE, Verdict.REJECTED])
                    # Measured against a pack model's ratings no auditor has approved yet: the
                    # figures wait for that approval (or a correction of the model).
                    | Q(verdict=Verdict.UNAPPROVED_MODEL, pack__lot__pack_model__approved_at=None)
                    | Q(status=VerificationStatus.FAILED)
                )
                & Q(pack__lot__status__in=AWAITING_DECISION_STATUSES)
            )
        )
        .annotate(latest_id=_latest_run_id())
        .filter(pk=F("latest_id"))
        .select_related(
            "pack__lot__supplier",
            "pack__lot__pack_model",
            "pack__lot__summary",
            "measurement",
            "test_record",
        )
    )
    return list(_scoped(runs, "pack__lot__", chemistry=chemistry, supplier_id=supplier_id))


def _submitted_at() -> Coalesce:
    """When the lot left draft, from its audit trail (the lot's creation if none is recorded)."""
    scope = Concat(Value("lot:"), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    first = (
        AuditEntry.objects.filter(
            scope=scope, action="lot.transition", after__status=LotStatus.SUBMITTED
        )
        .order_by("seq")
        .values("created_at")[:1]
    )
    return Coalesce(Subquery(first), F("created_at"))


def _lots_needing_a_person(*, chemistry: str, supplier_id: int | None) -> list[Lot]:
    """Lots in discrepancy, with a held route, or short of their sampling plan."""
    latest_decision = RoutingDecision.objects.filter(
        lot=OuterRef("pk"), pack__isnull=True
    ).order_by("-created_at", "-pk")

    def latest(column: str) -> Subquery:
        return Subquery(latest_decision.values(column)[:1])

    lots = (
        Lot.objects.filter(status__in=ACTIVE_LOT_STATUSES)
        .filter(
            Q(status=LotStatus.DISCREPANCY)
            | Q(summary__route=RouteChoice.HOLD)
            | Q(
                status__in=[LotStatus.SUBMITTED, LotStatus.VERIFYING],
                summary__packs_measured__lt=F("summary__sample_size_required"),
            )
        )
        .select_related("supplier", "pack_model", "summary")
        .annotate(
            submitted_at=_submitted_at(),
            # The latest decision's stored rules and its rule set's thresholds, for its words.
            decision_outcomes=latest("outcomes"),
            decision_figures=latest("figures"),
            decision_words_kept=latest("words_kept"),
            decision_thresholds=latest("rule_set__thresholds"),
        )
    )
    return list(_scoped(lots, "", chemistry=chemistry, supplier_id=supplier_id))


def _answered_requests(*, chemistry: str, supplier_id: int | None) -> list[SupplierRequest]:
    requests = SupplierRequest.objects.filter(
        status=SupplierRequestStatus.ANSWERED, lot__status__in=ACTIVE_LOT_STATUSES
    ).select_related("lot__supplier", "lot__pack_model", "lot__summary", "pack")
    return list(_scoped(requests, "lot__", chemistry=chemistry, supplier_id=supplier_id))


def _lots_with_open_requests(*, chemistry: str, supplier_id: int | None) -> set[int]:
    requests = SupplierRequest.objects.filter(
        status=SupplierRequestStatus.OPEN, lot__status__in=ACTIVE_LOT_STATUSES
    )
    scoped = _scoped(requests, "lot__", chemistry=chemistry, supplier_id=supplier_id)
    return set(scoped.values_list("lot_id", flat=True))


def supplier_bad_shares(*, supplier_ids: set[int]) -> dict[int, float]:
    """The supplier's record for the risk score: per supplier, the share of its packs' latest
    finished runs that were a discrepancy or duplicate evidence. One place to read it from, so
    it can read the supplier scorecard once there is one."""
    if not supplier_ids:
        return {}
    latest_verdict = Subquery(
        Verification.objects.filter(pack=OuterRef("pk"), status=VerificationStatus.DONE)
        .order_by("-finished_at", "-pk")
        .values("verdict")[:1]
    )
    rows = (
        Pack.objects.filter(lot__supplier_id__in=supplier_ids)
        .annotate(latest_verdict=latest_verdict)
        .filter(latest_verdict__isnull=False)
        .values("lot__supplier_id")
        .annotate(total=Count("pk"), bad=Count("pk", filter=Q(latest_verdict__in=AUDIT_VERDICTS)))
    )
    return {row["lot__supplier_id"]: row["bad"] / row["total"] for row in rows if row["total"]}


def _events(*, lot_ids: set[int]) -> dict[int, list[tuple[int | None, str]]]:
    events: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
    for lot_id, pack_id, kind in HistoryEvent.objects.filter(
        lot_id__in=lot_ids, kind__in=RISK_EVENT_KINDS
    ).values_list("lot_id", "pack_id", "kind"):
        events[lot_id].append((pack_id, kind))
    return events


@dataclass
class _LotFigures:
    """A lot's worst figures over its packs' latest measured runs, for lot-wide items."""

    difference: float | None = None
    lowest_soh: float | None = None
    highest_ratio: float | None = None
    newest_upload: datetime | None = None


def _lot_figures(*, lot_ids: set[int]) -> dict[int, _LotFigures]:
    figures: dict[int, _LotFigures] = defaultdict(_LotFigures)
    seen: set[int] = set()
    rows = (
        Verification.objects.filter(
            pack__lot_id__in=lot_ids,
            status=VerificationStatus.DONE,
            measured_soh_pct__isnull=False,
        )
        .order_by("pack_id", "-finished_at", "-pk")
        .values_list(
            "pack_id",
            "pack__lot_id",
            "difference_pct_points",
            "measured_soh_pct",
            "measurement__resistance_ratio",
            "test_record__uploaded_at",
        )
    )
    for pack_id, lot_id, difference, soh, ratio, uploaded in rows:
        if pack_id in seen:
            continue
        seen.add(pack_id)
        lot = figures[lot_id]
        if difference is not None and (
            lot.difference is None or abs(difference) > abs(lot.difference)
        ):
            lot.difference = difference
        if lot.lowest_soh is None or soh < lot.lowest_soh:
            lot.lowest_soh = soh
        if ratio is not None and (lot.highest_ratio is None or ratio > lot.highest_ratio):
            lot.highest_ratio = ratio
        if uploaded is not None and (lot.newest_upload is None or uploaded > lot.newest_upload):
            lot.newest_upload = uploaded
    return figures


def _days(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else (now - then).total_seconds() / 86400


@dataclass
class _Facts:
    """Everything the risk scores read, gathered once for all items."""

    now: datetime
    events: dict[int, list[tuple[int | None, str]]]
    figures: dict[int, _LotFigures]
    shares: dict[int, float]

    def for_pack(self, kind: ItemKind, run: Verification) -> RiskFacts:
        lot = run.pack.lot
        measurement = run.measurement
        return RiskFacts(
            kind=kind,
            difference_points=run.difference_pct_points,
            events=frozenset(
                k for pack_id, k in self.events.get(lot.pk, []) if pack_id in (None, run.pack_id)
            ),
            chemistry=lot.pack_model.chemistry,
            soh_pct=run.measured_soh_pct,
            resistance_ratio=measurement.resistance_ratio if measurement else None,
            supplier_bad_share=self.shares.get(lot.supplier_id),
            test_data_age_days=_days(self.now, run.test_record.uploaded_at),
        )

    def for_lot(self, kind: ItemKind, lot: Lot) -> RiskFacts:
        figures = self.figures.get(lot.pk, _LotFigures())
        return RiskFacts(
            kind=kind,
            difference_points=figures.difference,
            events=frozenset(k for _, k in self.events.get(lot.pk, [])),
            chemistry=lot.pack_model.chemistry,
            soh_pct=figures.lowest_soh,
            resistance_ratio=figures.highest_ratio,
            supplier_bad_share=self.shares.get(lot.supplier_id),
            test_data_age_days=_days(self.now, figures.newest_upload),
        )


def _run_summary(run: Verification) -> str:
    if run.status == VerificationStatus.FAILED:
        return f"{run.test_record.original_name}: verification failed: {run.error}"
    reason = f": {run.verdict_reason}" if run.verdict_reason else ""
    return f"{run.test_record.original_name}: {run.get_verdict_display()}{reason}"


def _held_summary(lot: Lot) -> str:
    rules = []
    if lot.decision_outcomes is not None:
        rules = decision_words(
            outcomes=lot.decision_outcomes,
            figures=lot.decision_figures,
            words_kept=lot.decision_words_kept,
            thresholds=lot.decision_thresholds,
        )
    fired = [r for r in rules if r.get("outcome") == "fired"]
    if not fired:
        return "Route held for audit."
    return "Held: " + "; ".join(r.get("explanation") or r.get("name", "") for r in fired)


def _short_summary(lot: Lot, now: datetime) -> str:
    summary = lot.summary
    days = (now - lot.submitted_at).days
    return (
        f"{summary.packs_measured} of {summary.sample_size_required} packs the sampling plan "
        f"needs are measured, {days} days after submission."
    )


def review_queue(
    *,
    kind: str = "",
    chemistry: str = "",
    supplier_id: int | None = None,
    older_than_days: int | None = None,
    now: datetime | None = None,
) -> Queue:
    """The ranked queue under the filters, with counts per kind (under every filter but kind)."""
    now = now or timezone.now()
    scope = {"chemistry": chemistry, "supplier_id": supplier_id}
    waiting = _lots_with_open_requests(**scope)
    runs = [r for r in _evidence_runs(**scope) if r.pack.lot_id not in waiting]
    lots = [lot for lot in _lots_needing_a_person(**scope) if lot.pk not in waiting]
    answered = _answered_requests(**scope)

    lot_ids = {r.pack.lot_id for r in runs} | {lot.pk for lot in lots}
    lot_ids |= {request.lot_id for request in answered}
    supplier_ids = {r.pack.lot.supplier_id for r in runs} | {lot.supplier_id for lot in lots}
    supplier_ids |= {request.lot.supplier_id for request in answered}
    facts = _Facts(
        now=now,
        events=_events(lot_ids=lot_ids),
        figures=_lot_figures(lot_ids={lot.pk for lot in lots} | {r.lot_id for r in answered}),
        shares=supplier_bad_shares(supplier_ids=supplier_ids),
    )

    items: list[QueueItem] = []

    def add(item_kind, lot, risk, *, since, summary, pack=None, run=None, request=None):
        score, reasons = risk_score(risk)
        items.append(
            QueueItem(
                kind=item_kind, lot=lot, pack=pack, since=since or now, score=score,
                reasons=reasons, summary=summary, run=run, request=request, now=now,
            )
        )  # fmt: skip

    flagged_lots = set()
    for run in runs:
        item_kind = (
            ItemKind.REJECTED_EVIDENCE
            if run.status == VerificationStatus.FAILED
            else EVIDENCE_KINDS[Verdict(run.verdict)]
        )
        if item_kind in (ItemKind.DISCREPANCY, ItemKind.DUPLICATE):
            flagged_lots.add(run.pack.lot_id)
        add(
            item_kind, run.pack.lot, facts.for_pack(item_kind, run),
            since=run.finished_at, summary=_run_summary(run), pack=run.pack, run=run,
        )  # fmt: skip
    for lot in lots:
        summary = getattr(lot, "summary", None)
        if lot.status == LotStatus.DISCREPANCY and lot.pk not in flagged_lots:
            # New data agreed with the claim after a discrepancy: only a person clears it.
            add(
                ItemKind.DISCREPANCY, lot, facts.for_lot(ItemKind.DISCREPANCY, lot),
                since=lot.updated_at,
                summary="In discrepancy: an auditor's decision settles the lot.",
            )  # fmt: skip
        if summary is not None and summary.route == RouteChoice.HOLD:
            add(
                ItemKind.HELD_ROUTE, lot, facts.for_lot(ItemKind.HELD_ROUTE, lot),
                since=summary.updated_at, summary=_held_summary(lot),
            )  # fmt: skip
        short = (
            summary is not None
            and lot.status in (LotStatus.SUBMITTED, LotStatus.VERIFYING)
            and summary.packs_measured < summary.sample_size_required
            and lot.submitted_at <= now - SHORT_OF_PLAN_AFTER
        )
        if short:
            add(
                ItemKind.SHORT_OF_PLAN, lot, facts.for_lot(ItemKind.SHORT_OF_PLAN, lot),
                since=lot.submitted_at, summary=_short_summary(lot, now),
            )  # fmt: skip
    for request in answered:
        add(
            ItemKind.ANSWER_WAITING, request.lot,
            facts.for_lot(ItemKind.ANSWER_WAITING, request.lot),
            since=request.answered_at, summary=f"Answered: {request.text}",
            pack=request.pack, request=request,
        )  # fmt: skip

    if older_than_days is not None:
        cutoff = now - timedelta(days=older_than_days)
        items = [item for item in items if item.since <= cutoff]
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item.kind] += 1
    if kind:
        items = [item for item in items if item.kind == kind]
    items.sort(key=lambda item: (-item.score, item.since, item.lot.pk))
    return Queue(items=items, counts=dict(counts), waiting_for_supplier=len(waiting))
