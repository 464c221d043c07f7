"""The claim page's reads: a lot's claims against its measurements, pack by pack, with the
evidence behind them. A fixed number of queries, however many packs and runs the lot has."""

from collections import defaultdict
from dataclasses import dataclass, field

from audit.models import AuditEntry
from marketplace.charts import LotCharts, lot_charts
from marketplace.selectors import LotReport, PackRow, lot_audit_trail, lot_report
from routing.models import RoutingDecision
from suppliers.models import HistoryEvent, Lot
from verification.choices import VerificationStatus
from verification.models import TestRecord, Verification
from verification.selectors import test_record_list_for_lot

from .models import SupplierRequest
from .selectors import supplier_requests_on_lot

FINISHED = (VerificationStatus.DONE, VerificationStatus.FAILED)


@dataclass(frozen=True)
class PackClaim:
    row: PackRow  # the lot page's row: latest measured run, newest other run, pack route
    runs: list[Verification]  # every finished run, newest first: earlier verifications
    events: list[HistoryEvent]  # history recorded for this pack alone
    # Runs on other packs that carry this pack's evidence (they point at one of its runs).
    duplicated_by: list[Verification] = field(default_factory=list)

    @property
    def pack(self):
        return self.row.pack

    @property
    def claimed_capacity_ah(self) -> float:
        """The claim in Ah: the claimed SOH of the pack model's nominal capacity."""
        nominal = self.pack.lot.pack_model.nominal_capacity_ah
        return float(self.pack.effective_claimed_soh_pct) * float(nominal) / 100

    @property
    def fired_rules(self) -> list[dict]:
        return self.row.decision.fired_rules if self.row.decision else []


@dataclass(frozen=True)
class LotReview:
    lot: Lot
    report: LotReport
    packs: list[PackClaim]
    charts: LotCharts | None
    lot_events: list[HistoryEvent]  # history for every pack of the lot: the chain of custody
    records: list[TestRecord]
    trail: list[AuditEntry]
    requests: list[SupplierRequest]

    @property
    def decision(self) -> RoutingDecision | None:
        return self.report.decision

    @property
    def fired_rules(self) -> list[dict]:
        return self.decision.fired_rules if self.decision else []

    @property
    def open_requests(self) -> list[SupplierRequest]:
        return [r for r in self.requests if r.status != "closed"]


def lot_review(*, lot: Lot, chart_pack_id: str | None = None) -> LotReview:
    report = lot_report(lot=lot)
    runs: dict[int, list[Verification]] = defaultdict(list)
    for run in (
        Verification.objects.filter(pack__lot=lot, status__in=FINISHED)
        .select_related("test_record", "measurement", "duplicate_of__pack__lot")
        .order_by("-finished_at", "-pk")
    ):
        runs[run.pack_id].append(run)
    duplicated_by: dict[int, list[Verification]] = defaultdict(list)
    for run in (
        Verification.objects.filter(duplicate_of__pack__lot=lot)
        .select_related("pack__lot", "duplicate_of")
        .order_by("-pk")
    ):
        duplicated_by[run.duplicate_of.pack_id].append(run)
    events: dict[int | None, list[HistoryEvent]] = defaultdict(list)
    for event in HistoryEvent.objects.filter(lot=lot).order_by("occurred_on", "pk"):
        events[event.pack_id].append(event)
    packs = [
        PackClaim(
            row=row,
            runs=runs.get(row.pack.pk, []),
            events=events.get(row.pack.pk, []),
            duplicated_by=duplicated_by.get(row.pack.pk, []),
        )
        for row in report.packs
    ]
    return LotReview(
        lot=lot,
        report=report,
        packs=packs,
        charts=lot_charts(report, pack_id=chart_pack_id),
        lot_events=events.get(None, []),
        records=list(test_record_list_for_lot(lot=lot)),
        trail=list(lot_audit_trail(lot=lot)),
        requests=list(supplier_requests_on_lot(lot=lot)),
    )
