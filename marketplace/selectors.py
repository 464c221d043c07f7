from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum

from audit.models import AuditEntry
from audit.selectors import audit_entries_for_scope
from routing.domain import Thresholds
from routing.domain.sampling import DEFAULT_SAMPLE_PLAN
from routing.facts import PackMeasure
from routing.models import RoutingDecision
from routing.selectors import decision_latest, decisions_latest_of_lot, lots_routable
from routing.services import lots_decide
from suppliers.choices import BROWSABLE_LOT_STATUSES
from suppliers.models import Document, Lot, Pack
from suppliers.selectors import (
    document_list_visible,
    is_auditor,
    is_supplier,
    lot_list_visible,
    organisations_of,
)
from verification.choices import STANDING_VERDICTS, TestRecordStatus, Verdict, VerificationStatus
from verification.models import TestRecord, Verification
from verification.selectors import (
    verification_brief,
    verification_history_for_pack,
    verifications_light,
)

from .lifecycle import lot_scope
from .models import LotSummary


def _meets_plan() -> Q:
    return Q(
        summary__sample_size_required__gt=0,
        summary__packs_measured__gte=F("summary__sample_size_required"),
    )


def lots_visible(*, user) -> QuerySet[Lot]:
    """Lots a user may open (suppliers.selectors.lot_list_visible), where a lot of another
    organisation must also meet its sampling plan: a buyer never opens a lot below it, even
    one whose status has not yet followed a new plan."""
    lots = lot_list_visible(user=user)
    if is_auditor(user) or not user.is_authenticated:
        return lots
    return lots.filter(_meets_plan() | Q(supplier__in=organisations_of(user=user)))


def document_visible(*, user, pk: int) -> Document | None:
    """A document the user may see and download, on a lot they may open; None otherwise,
    whether it exists or not."""
    documents = document_list_visible(user=user).filter(lot__in=lots_visible(user=user))
    return documents.filter(pk=pk).first()


@dataclass(frozen=True)
class SupplyFigure:
    chemistry: str
    route: str
    lots: int
    packs: int
    packs_measured: int
    nominal_mwh: float
    measured_mwh: float  # usable energy of the lots whose test data recorded it
    lots_energy_measured: int
    soh_low_pct: float | None
    soh_high_pct: float | None


def supply_figures() -> list[SupplyFigure]:
    """What verified supply the marketplace holds, by chemistry and route: one query over the
    lots buyers browse, for the public landing page."""
    rows = (
        lot_list_browsable()
        .order_by()
        .values("pack_model__chemistry", "summary__route")
        .annotate(
            lots=Count("pk"),
            packs=Sum("quantity"),
            measured=Sum("summary__packs_measured"),
            nominal_kwh=Sum(F("quantity") * F("pack_model__nominal_energy_kwh")),
            measured_kwh=Sum("summary__usable_energy_total_kwh"),
            lots_energy_measured=Count("pk", filter=Q(summary__usable_energy_kwh__isnull=False)),
            soh_low=Min("summary__measured_soh_pct"),
            soh_high=Max("summary__measured_soh_pct"),
        )
        .order_by("pack_model__chemistry", "summary__route")
    )
    return [
        SupplyFigure(
            chemistry=row["pack_model__chemistry"],
            route=row["summary__route"],
            lots=row["lots"],
            packs=row["packs"] or 0,
            packs_measured=row["measured"] or 0,
            nominal_mwh=float(row["nominal_kwh"] or 0) / 1000,
            measured_mwh=float(row["measured_kwh"] or 0) / 1000,
            lots_energy_measured=row["lots_energy_measured"],
            soh_low_pct=float(row["soh_low"]) if row["soh_low"] is not None else None,
            soh_high_pct=float(row["soh_high"]) if row["soh_high"] is not None else None,
        )
        for row in rows
    ]


def lots_listed(*, user) -> QuerySet[Lot]:
    """What `GET /api/lots/` lists before its filters: for a buyer, what the browse page
    browses (inner joins the sort indexes can serve); a supplier's own organisations' lots in
    every status join them, and auditors list every lot."""
    if not lots_listed_alike(user=user):
        return lots_visible(user=user).select_related("summary")
    return lot_list_browsable()


def lots_listed_alike(*, user) -> bool:
    """Whether `user` is listed what every other buyer is: one who supplies nothing and
    audits nothing (so a shared cached list may serve them)."""
    return not (is_auditor(user) or is_supplier(user))


def lot_list_browsable() -> QuerySet[Lot]:
    """What buyers browse: only lots whose figures were measured and confirmed, on at least
    the sampling plan's number of packs (the status says so; the count is checked again so a
    buyer never sees a lot below the plan, whatever set its status)."""
    return (
        Lot.objects.filter(status__in=BROWSABLE_LOT_STATUSES)
        .filter(_meets_plan())
        .select_related("supplier", "pack_model", "summary")
    )


def _measure(soh_pct, resistance_ratio, weakest_cell_soh_pct, verdict: str) -> PackMeasure:
    return PackMeasure(
        soh_pct=soh_pct,
        resistance_ratio=resistance_ratio,
        weakest_cell_soh_pct=weakest_cell_soh_pct,
        confirms=verdict == Verdict.CONFIRMED,
        stands=verdict in STANDING_VERDICTS,
    )


def pack_measure(run: Verification) -> PackMeasure:
    """Routing's plain view of one verification that measured an SOH."""
    measurement = run.measurement
    return _measure(
        run.measured_soh_pct,
        measurement.resistance_ratio if measurement else None,
        measurement.weakest_cell_soh_pct if measurement else None,
        run.verdict,
    )


def pack_measures(*, lot_ids: list[int]) -> dict[int, PackMeasure]:
    """Each pack's latest verification that measured an SOH, by pack id, in one query."""
    runs = (
        Verification.objects.filter(
            pack__lot_id__in=lot_ids,
            status=VerificationStatus.DONE,
            measured_soh_pct__isnull=False,
        )
        .order_by("pack_id", "-finished_at", "-pk")
        .values_list(
            "pack_id",
            "measured_soh_pct",
            "measurement__resistance_ratio",
            "measurement__weakest_cell_soh_pct",
            "verdict",
        )
    )
    latest: dict[int, PackMeasure] = {}
    for pack_id, soh, ratio, weakest, verdict in runs:
        if pack_id not in latest:
            latest[pack_id] = _measure(soh, ratio, weakest, verdict)
    return latest


def lot_summaries(*, lot_ids: list[int]) -> dict[int, LotSummary]:
    return {s.lot_id: s for s in LotSummary.objects.filter(lot_id__in=lot_ids)}


@dataclass(frozen=True)
class PackRow:
    pack: Pack
    verification: Verification | None  # the latest run that measured this pack's SOH
    decision: RoutingDecision | None
    # The latest finished run of any verdict, when it is not `verification`: an inconclusive,
    # rejected, duplicate or cell-level test the page must name rather than hide.
    latest_other: Verification | None = None
    uploads: int = 0
    failed_uploads: int = 0
    last_error: str = ""  # the newest failed upload's reason


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
    """Everything the lot page shows: per-pack figures and routes, and the lot's own route.

    Three queries whatever the number of packs: the packs with their uploads counted, every
    finished run without the measurements' heavy columns (`verifications_light`), and the
    latest decision of each pack and of the lot."""
    failed = Q(test_records__status=TestRecordStatus.FAILED)
    packs = lot.packs.annotate(
        upload_count=Count("test_records"),
        failed_upload_count=Count("test_records", filter=failed),
        last_upload_error=Subquery(
            TestRecord.objects.filter(pack=OuterRef("pk"), status=TestRecordStatus.FAILED)
            .order_by("-uploaded_at", "-pk")
            .values("error")[:1]
        ),
    )
    # One pass over the finished runs, newest first: each pack's newest run of any verdict,
    # and its newest that measured an SOH (verification_latest_per_pack's rule).
    newest: dict[int, Verification] = {}
    latest: dict[int, Verification] = {}
    runs = Verification.objects.filter(pack__lot=lot, status=VerificationStatus.DONE)
    for run in verifications_light(runs.order_by("pack_id", "-finished_at", "-pk")):
        verification_brief(run)
        newest.setdefault(run.pack_id, run)
        if run.measured_soh_pct is not None:
            latest.setdefault(run.pack_id, run)
    decisions = decisions_latest_of_lot(lot_id=lot.pk)
    rows = []
    for p in packs:
        measured, other = latest.get(p.pk), newest.get(p.pk)
        rows.append(
            PackRow(
                pack=p,
                verification=measured,
                decision=decisions.get(p.pk),
                latest_other=None if other is None or other == measured else other,
                uploads=p.upload_count,
                failed_uploads=p.failed_upload_count,
                last_error=p.last_upload_error or "",
            )
        )
    return LotReport(lot=lot, decision=decisions.get(None), packs=rows)


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
    decision = (
        RoutingDecision.objects.filter(pack=pack)
        .select_related("rule_set")
        .order_by("-created_at", "-pk")
        .first()
    )
    return PackReport(pack=pack, latest=latest, decision=decision, history=history)


def lot_audit_trail(*, lot: Lot) -> QuerySet[AuditEntry]:
    """Every audit entry of a lot, oldest first: its status changes, results and decisions."""
    return audit_entries_for_scope(scope=lot_scope(lot.pk))


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
    *,
    thresholds: Thresholds,
    sample_plan=DEFAULT_SAMPLE_PLAN,
    chunk_size: int = 500,
    listed: int = 200,
) -> RoutePreview:
    """Decide every routable lot under new thresholds without writing anything."""
    preview = RoutePreview()
    ids = list(lots_routable().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        summaries = lot_summaries(lot_ids=chunk)
        outcomes = lots_decide(
            lot_ids=chunk,
            thresholds=thresholds,
            measured=pack_measures(lot_ids=chunk),
            sample_plan=sample_plan,
        )
        for outcome in outcomes:
            preview.lots_checked += 1
            if outcome.lot.route_override:
                continue  # an auditor's route stands under any rule set (as the re-route does)
            summary = summaries.get(outcome.lot.pk)
            old = (summary.route if summary else "") or "none"
            new = outcome.lot_decision.route
            if summary is not None and (summary.route, summary.route_provisional) == (
                new,
                outcome.lot_decision.provisional,
            ):
                continue
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


@dataclass(frozen=True)
class PackFigures:
    pack: Pack
    verification: Verification  # the latest run that measured the pack's SOH, figures in full
    decision: RoutingDecision | None


def pack_figures(*, user, pack_id: int) -> PackFigures | None:
    """One pack's heavy figures (per-cycle table, curves, DCIR steps) and its decision, for
    whoever may open its lot (`lots_visible`); None when the pack is not theirs to see, or no
    test measured it yet."""
    pack = (
        Pack.objects.filter(pk=pack_id, lot__in=lots_visible(user=user))
        .select_related("lot")
        .first()
    )
    if pack is None:
        return None
    run = (
        Verification.objects.filter(
            pack=pack, status=VerificationStatus.DONE, measured_soh_pct__isnull=False
        )
        .select_related("measurement")
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None or run.measurement is None:
        return None
    decision = decision_latest(lot_id=pack.lot_id, pack_id=pack.pk)
    return PackFigures(pack=pack, verification=run, decision=decision)
