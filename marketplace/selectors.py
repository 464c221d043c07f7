from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)

from audit.models import AuditEntry
from audit.selectors import audit_entries_for_scope
from routing.choices import RouteChoice
from routing.domain import Thresholds
from routing.domain.sampling import DEFAULT_SAMPLE_PLAN
from routing.facts import PackMeasure
from routing.models import RoutingDecision
from routing.selectors import (
    decision_latest,
    decisions_latest_of_lot,
    lot_decisions_latest,
    lots_routable,
)
from routing.services import lots_decide
from suppliers.choices import BROWSABLE_LOT_STATUSES, MembershipRole
from suppliers.models import Document, Lot, Pack
from suppliers.selectors import (
    document_list_visible,
    is_auditor,
    is_supplier,
    lot_list_visible,
    memberships_of,
    organisations_of,
)
from verification.choices import STANDING_VERDICTS, TestRecordStatus, Verdict, VerificationStatus
from verification.models import TestRecord, Verification
from verification.selectors import (
    verification_history_for_pack,
    verifications_light,
)

from .domain.lot_figures import Bin, Spread, soh_bins, spread
from .lifecycle import lot_scope
from .models import LotSummary, SupplierScorecard
from .scorecards import lots_with_scorecard


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


def lots_listed(*, user, alike: bool | None = None) -> QuerySet[Lot]:
    """What `GET /api/lots/` lists before its filters: for a buyer, what the browse page
    browses (inner joins the sort indexes can serve); a supplier's own organisations' lots in
    every status join them, and auditors list every lot. `alike`: lots_listed_alike(user),
    when the caller has asked it already."""
    if alike is None:
        alike = lots_listed_alike(user=user)
    if not alike:
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


def _measured_runs(*, lot_ids) -> QuerySet[Verification]:
    """The finished runs that measured an SOH on packs of these lots, each pack's newest
    first (the first row per pack is the one that counts)."""
    return Verification.objects.filter(
        pack__lot_id__in=lot_ids, status=VerificationStatus.DONE, measured_soh_pct__isnull=False
    ).order_by("pack_id", "-finished_at", "-pk")


def pack_measures(*, lot_ids: list[int]) -> dict[int, PackMeasure]:
    """Each pack's latest verification that measured an SOH, by pack id, in one query."""
    runs = _measured_runs(lot_ids=lot_ids).values_list(
        "pack_id",
        "measured_soh_pct",
        "measurement__resistance_ratio",
        "measurement__weakest_cell_soh_pct",
        "verdict",
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
    packs: list[PackRow]  # the packs shown: all of them, or the first `pack_limit`
    pack_count: int = 0  # every pack of the lot, shown or not
    # Each pack's latest run that measured its SOH with a standing verdict, for every pack of
    # the lot: what the lot's measured figures (LotSummary) are made of.
    standing: list[Verification] = field(default_factory=list)
    pack_routes: frozenset[str] = frozenset()  # the routes of the lot's packs' decisions

    @property
    def splittable(self) -> bool:
        """Measured packs fall in more than one route: the lot can be split by route."""
        return len(self.pack_routes) > 1

    @property
    def packs_hidden(self) -> int:
        return self.pack_count - len(self.packs)


def lot_report(*, lot: Lot, pack_limit: int | None = None) -> LotReport:
    """Everything the lot page shows: per-pack figures and routes, and the lot's own route.

    Three queries whatever the number of packs: the packs with their uploads counted (the
    first `pack_limit` of them, with the count of all), every finished run without the
    measurements' heavy columns (`verifications_light`), and the latest decision of each pack
    and of the lot."""
    failed = Q(test_records__status=TestRecordStatus.FAILED)
    packs = lot.packs.order_by("serial", "pk").annotate(
        upload_count=Count("test_records"),
        failed_upload_count=Count("test_records", filter=failed),
        last_upload_error=Subquery(
            TestRecord.objects.filter(pack=OuterRef("pk"), status=TestRecordStatus.FAILED)
            .order_by("-uploaded_at", "-pk")
            .values("error")[:1]
        ),
        # Over the grouped rows, before the limit: how many packs there are in all.
        pack_total=Window(Count("pk", distinct=False)),
    )
    if pack_limit is not None:
        packs = packs[:pack_limit]
    packs = list(packs)
    # One pass over the finished runs, newest first: each pack's newest run of any verdict,
    # and its newest that measured an SOH (verification_latest_per_pack's rule).
    newest: dict[int, Verification] = {}
    latest: dict[int, Verification] = {}
    runs = Verification.objects.filter(pack__lot=lot, status=VerificationStatus.DONE)
    for run in verifications_light(runs.order_by("pack_id", "-finished_at", "-pk")):
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
    return LotReport(
        lot=lot,
        decision=decisions.get(None),
        packs=rows,
        pack_count=packs[0].pack_total if packs else 0,
        standing=[run for run in latest.values() if run.verdict in STANDING_VERDICTS],
        pack_routes=frozenset(d.route for pk, d in decisions.items() if pk is not None),
    )


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


def pack_measured_run(*, pack: Pack) -> Verification | None:
    """The pack's latest run that measured its SOH, its measurement in full (the figures its
    charts draw), or None while no test measured it."""
    run = (
        Verification.objects.filter(
            pack=pack, status=VerificationStatus.DONE, measured_soh_pct__isnull=False
        )
        .select_related("measurement", "test_record")
        .order_by("-finished_at", "-pk")
        .first()
    )
    return run if run is not None and run.measurement is not None else None


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
    run = pack_measured_run(pack=pack)
    if run is None:
        return None
    decision = decision_latest(lot_id=pack.lot_id, pack_id=pack.pk)
    return PackFigures(pack=pack, verification=run, decision=decision)


@dataclass(frozen=True)
class Figure:
    """A figure of the report card: its spread over the packs that measured it, or the reason
    it is absent (never a zero standing in for nothing)."""

    spread: Spread
    absent_reason: str = ""

    @property
    def present(self) -> bool:
        return self.spread.count > 0


@dataclass(frozen=True)
class ReportCard:
    """The verification report at the top of a lot page: what was measured, how, when, under
    which rules, on how many packs of the plan, and what route and warranty follow."""

    soh: Figure
    weakest_serial: str
    resistance_mohm: Figure
    resistance_ratio: Spread
    pulse_s: float | None
    usable_energy_kwh: Decimal | None
    packs_energy_measured: int
    energy_absent_reason: str
    methods: list[str]
    tested_from: datetime | None
    tested_to: datetime | None
    rule_set: str
    packs_measured: int
    quantity: int
    sample_size_required: int
    reasons: list[dict]  # the rules that fired for the lot's own decision
    route: str
    provisional: bool
    warranty: str
    warranty_absent_reason: str
    bins: list[Bin]

    @property
    def meets_plan(self) -> bool:
        return 0 < self.sample_size_required <= self.packs_measured


def _warranty_absent(decision: RoutingDecision | None) -> str:
    if decision is None:
        return "No warranty yet: the lot is not routed, so no route's terms apply."
    if decision.warranty:
        return ""
    if decision.route == RouteChoice.RECYCLE:
        return "No warranty: the rules route this lot to recycling, not to a second life."
    if decision.route == RouteChoice.HOLD:
        return "No warranty while the lot is held for an auditor: terms follow a reuse route."
    return "The rule set gives no warranty terms for this route."


def lot_report_card(*, lot: Lot, report: LotReport) -> ReportCard:
    """The report card of a lot from what its page read already (lot_report and the lot's
    summary): no query of its own."""
    summary = getattr(lot, "summary", None)
    runs = report.standing
    measurements = [run.measurement for run in runs if run.measurement is not None]
    soh_values = [float(run.measured_soh_pct) for run in runs]
    resistances = [m.resistance_mohm for m in measurements]
    pulses = {m.resistance_pulse_s for m in measurements if m.resistance_mohm is not None}
    dates = [run.test_record.uploaded_at for run in runs if run.test_record_id]
    methods = sorted(
        {
            " · ".join(
                part
                for part in (
                    (m.brief.get("soh_basis") or {}).get("test_type"),
                    m.get_soh_definition_display(),
                )
                if part
            )
            for m in measurements
        }
    )
    decision = report.decision
    energy_reason = ""
    if summary is None or summary.usable_energy_kwh is None:
        energy_reason = (
            "no pack measured yet"
            if not runs
            else "the tests of the measured packs recorded no discharge energy"
        )
    rule_set = ""
    if decision is not None:
        rule_set = str(decision.rule_set)
    elif summary is not None and summary.rule_set_id:
        rule_set = str(summary.rule_set)
    return ReportCard(
        soh=Figure(
            spread(soh_values),
            "" if soh_values else "no pack has a complete capacity test with a standing verdict",
        ),
        weakest_serial=summary.lowest_pack_serial if summary else "",
        resistance_mohm=Figure(
            spread(resistances),
            ""
            if any(r is not None for r in resistances)
            else "no test of a measured pack had a current step to measure it from",
        ),
        resistance_ratio=spread([m.resistance_ratio for m in measurements]),
        pulse_s=next(iter(pulses)) if len(pulses) == 1 else None,
        usable_energy_kwh=summary.usable_energy_kwh if summary else None,
        packs_energy_measured=summary.packs_energy_measured if summary else 0,
        energy_absent_reason=energy_reason,
        methods=methods,
        tested_from=min(dates) if dates else None,
        tested_to=max(dates) if dates else None,
        rule_set=rule_set,
        packs_measured=summary.packs_measured if summary else 0,
        quantity=lot.quantity,
        sample_size_required=summary.sample_size_required if summary else 0,
        reasons=decision.fired_rules if decision else [],
        route=(summary.route if summary else "") or (decision.route if decision else ""),
        provisional=summary.route_provisional if summary else True,
        warranty=decision.warranty if decision else "",
        warranty_absent_reason=_warranty_absent(decision),
        bins=soh_bins(soh_values),
    )


def lot_for_page(*, user, pk: int) -> Lot | None:
    """A lot the user may open, with all its page reads in one query: the summary and its
    rule set, the pack model, the supplier and its stored scorecard, and whether the user
    manages (`user_manages`) or commits for (`user_commits`) the supplying organisation."""
    memberships = memberships_of(user=user).filter(organisation_id=OuterRef("supplier_id"))
    return (
        lots_with_scorecard(lots_visible(user=user))
        .select_related("summary__rule_set", "pack_model", "parent")
        .annotate(
            user_manages=Exists(memberships),
            user_commits=Exists(memberships.filter(role=MembershipRole.ADMIN)),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class LotComparison:
    """One column of a comparison: a lot and its figures as its page shows them."""

    lot: Lot
    soh: Spread  # over the packs' latest standing measurements
    warranty: str
    warranty_absent_reason: str
    score: SupplierScorecard | None  # as last stored (refreshed hourly), not recomputed here


def lot_comparison(*, user, lot_ids: list[int]) -> list[LotComparison] | None:
    """The lots to compare, in the order asked, or None when any is not one the user may
    open (`lots_visible`). Three queries whatever the number of lots: the lots with their
    summaries, models, suppliers and stored scores; each pack's latest measuring run; and
    each lot's latest decision."""
    lots = {
        lot.pk: lot
        for lot in lots_visible(user=user)
        .select_related("summary", "supplier__scorecard")
        .filter(pk__in=lot_ids)
    }
    if len(lots) != len(set(lot_ids)):
        return None
    runs = _measured_runs(lot_ids=lot_ids).values_list(
        "pack__lot_id", "pack_id", "measured_soh_pct", "verdict"
    )
    seen: set[int] = set()
    soh: dict[int, list[float]] = {pk: [] for pk in lot_ids}
    for lot_id, pack_id, value, verdict in runs:
        if pack_id in seen:
            continue
        seen.add(pack_id)
        if verdict in STANDING_VERDICTS:
            soh[lot_id].append(float(value))
    decisions = lot_decisions_latest(lot_ids=lot_ids)
    out = []
    for pk in lot_ids:
        lot, decision = lots[pk], decisions.get(pk)
        out.append(
            LotComparison(
                lot=lot,
                soh=spread(soh[pk]),
                warranty=decision.warranty if decision else "",
                warranty_absent_reason=_warranty_absent(decision),
                score=getattr(lot.supplier, "scorecard", None),
            )
        )
    return out
