"""Supplier scorecards: the facts read from the data, the materialised row, who sees what.

Reading facts takes five queries whatever the number of suppliers and lots (lots by model,
chemistry, month and status; each pack's latest measuring run; uploads by outcome; the
auditors' questions and answers from the audit trail, and their lots' suppliers), and
writing the rows one upsert. A page reads one row, and recomputes it when it is missing, older
than `MAX_AGE`, or older than the supplier's latest lot change, so no hook in the pipeline is
needed and a lot page stays one query away from its supplier's score.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncMonth
from django.utils import timezone

from audit.models import AuditEntry
from suppliers.choices import LotStatus
from suppliers.models import Lot, Organisation
from suppliers.selectors import SUPPLIER_KINDS, User, is_auditor, is_member
from verification.choices import TestRecordStatus, VerificationStatus
from verification.models import TestRecord, Verification

from .domain.scorecard import (
    PENDING_EVIDENCE,
    Claim,
    Scorecard,
    SupplierFacts,
    VolumeMonth,
    scorecard,
)
from .listing_cache import listing_changed
from .models import LotSummary, SupplierScorecard

MAX_AGE = timedelta(hours=1)
CHUNK_SUPPLIERS = 200

# Lots whose verification has an outcome: passed, or not.
VERIFIED_STATUSES = (LotStatus.VERIFIED, LotStatus.LISTED, LotStatus.RESERVED, LotStatus.SOLD)
NOT_VERIFIED_STATUSES = (LotStatus.DISCREPANCY, LotStatus.REJECTED)
KWH = DecimalField(max_digits=16, decimal_places=3)


def _month(value: datetime | None) -> str:
    return f"{value:%Y-%m}" if value else ""


def _lot_facts(ids: Sequence[int]) -> dict[int, dict]:
    """Packs offered by pack model and chemistry, and volume by month and outcome."""
    rows = (
        Lot.objects.filter(supplier_id__in=ids)
        .exclude(status=LotStatus.DRAFT)
        # A sub-lot split off by route is volume listed when its parent was.
        .annotate(month=TruncMonth(Coalesce("parent__created_at", "created_at")))
        .values(
            "supplier_id",
            "pack_model__manufacturer",
            "pack_model__model",
            "pack_model__chemistry",
            "status",
            "month",
        )
        .annotate(
            lots=Count("pk", filter=Q(parent__isnull=True)),
            packs=Sum("quantity"),
            kwh=Sum(F("quantity") * F("pack_model__nominal_energy_kwh"), output_field=KWH),
        )
        .order_by()
    )
    out: dict[int, dict] = {}
    for row in rows:
        f = out.setdefault(row["supplier_id"], {"lots": 0, "models": {}, "chem": {}, "months": {}})
        model = f"{row['pack_model__manufacturer']} {row['pack_model__model']}"
        packs, kwh = row["packs"] or 0, float(row["kwh"] or 0)
        f["lots"] += row["lots"]
        f["models"][model] = f["models"].get(model, 0) + packs
        chem = row["pack_model__chemistry"]
        f["chem"][chem] = f["chem"].get(chem, 0) + packs
        month = f["months"].setdefault(_month(row["month"]), [0, 0.0, 0, 0.0, 0, 0.0])
        month[0] += packs
        month[1] += kwh
        if row["status"] in VERIFIED_STATUSES:
            month[2] += packs
            month[3] += kwh
        elif row["status"] in NOT_VERIFIED_STATUSES:
            month[4] += packs
            month[5] += kwh
    return out


def _latest_claims(ids: Sequence[int]) -> dict[int, list[Claim]]:
    """Each pack's latest run that measured an SOH (earlier runs are history), per supplier."""
    runs = (
        Verification.objects.filter(
            pack__lot__supplier_id__in=ids,
            status=VerificationStatus.DONE,
            measured_soh_pct__isnull=False,
            claimed_soh_pct__isnull=False,
        )
        .order_by("pack_id", "-finished_at", "-pk")
        .values_list(
            "pack__lot__supplier_id",
            "pack_id",
            "claimed_soh_pct",
            "measured_soh_pct",
            "verdict",
            "finished_at",
        )
    )
    if connection.features.can_distinct_on_fields:
        runs = runs.distinct("pack_id")  # PostgreSQL: the first row per pack only
    out: dict[int, list[Claim]] = {}
    seen: set[int] = set()
    for supplier_id, pack_id, claimed, measured, verdict, finished_at in runs:
        if pack_id in seen:
            continue
        seen.add(pack_id)
        out.setdefault(supplier_id, []).append(
            Claim(float(claimed), float(measured), verdict, _month(finished_at))
        )
    return out


def _evidence(ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Uploads by outcome: the verdict of each one's latest run, "failed" or "pending"."""
    latest_verdict = (
        Verification.objects.filter(test_record=OuterRef("pk"), status=VerificationStatus.DONE)
        .order_by("-pk")
        .values("verdict")[:1]
    )
    rows = (
        TestRecord.objects.filter(pack__lot__supplier_id__in=ids)
        .annotate(outcome=Subquery(latest_verdict))
        .values("pack__lot__supplier_id", "status", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        if row["status"] == TestRecordStatus.FAILED:
            key = "failed"
        elif row["status"] == TestRecordStatus.DONE:
            key = row["outcome"] or "no_result"
        else:
            key = PENDING_EVIDENCE
        counts = out.setdefault(row["pack__lot__supplier_id"], {})
        counts[key] = counts.get(key, 0) + row["n"]
    return out


# The auditors' questions as the audit trail records them (the conversation itself lives in the
# reviews app, above this one; its entries are the record of who asked and answered when).
ASKED_ACTIONS = ("review.question", "review.data_request")
ANSWERED_ACTION = "review.answer"
CLOSED_ACTION = "review.request_closed"


def _responses(ids: Sequence[int], now: datetime) -> dict[int, dict[str, list[float]]]:
    """Per supplier: hours from each question to its first answer, and the age of those still
    open (closed unanswered ones count in neither). Two queries."""
    scopes = (
        Lot.objects.filter(supplier_id__in=ids)
        .annotate(lot_scope=Concat(Value("lot:"), Cast("pk", CharField())))
        .values("lot_scope")
    )
    entries = AuditEntry.objects.filter(
        object_type="supplier_request",
        action__in=[*ASKED_ACTIONS, ANSWERED_ACTION, CLOSED_ACTION],
        scope__in=scopes,
    ).values_list("object_id", "action", "created_at", "scope")
    asked: dict[str, tuple[datetime, str]] = {}
    ended: dict[str, datetime | None] = {}
    for object_id, action, at, scope in entries.order_by("seq"):
        if action in ASKED_ACTIONS:
            asked[object_id] = (at, scope)
        elif object_id not in ended:
            ended[object_id] = at if action == ANSWERED_ACTION else None
    lot_ids = {int(scope.split(":", 1)[1]) for _, scope in asked.values()}
    supplier_of = dict(Lot.objects.filter(pk__in=lot_ids).values_list("pk", "supplier_id"))
    out: dict[int, dict[str, list[float]]] = {}
    for object_id, (at, scope) in asked.items():
        waits = out.setdefault(
            supplier_of[int(scope.split(":", 1)[1])], {"answered": [], "open": []}
        )
        if object_id not in ended:
            waits["open"].append((now - at).total_seconds() / 3600)
        elif ended[object_id] is not None:
            waits["answered"].append((ended[object_id] - at).total_seconds() / 3600)
    return out


def supplier_facts(*, supplier_ids: Sequence[int]) -> dict[int, SupplierFacts]:
    """The scorecard's facts for each supplier, in five queries whatever their number."""
    lots, claims, evidence, responses = (
        _lot_facts(supplier_ids),
        _latest_claims(supplier_ids),
        _evidence(supplier_ids),
        _responses(supplier_ids, timezone.now()),
    )
    out = {}
    for supplier_id in supplier_ids:
        f = lots.get(supplier_id, {"lots": 0, "models": {}, "chem": {}, "months": {}})
        out[supplier_id] = SupplierFacts(
            lots=f["lots"],
            packs_by_model=f["models"],
            packs_by_chemistry=f["chem"],
            claims=claims.get(supplier_id, []),
            evidence=evidence.get(supplier_id, {}),
            volume=[VolumeMonth(month, *v) for month, v in sorted(f["months"].items())],
            answered_hours=responses.get(supplier_id, {}).get("answered", []),
            open_hours=responses.get(supplier_id, {}).get("open", []),
        )
    return out


def scorecards_refresh(*, supplier_ids: Sequence[int]) -> list[SupplierScorecard]:
    """Recompute and store the suppliers' scorecards: five reads and one upsert."""
    now = timezone.now()
    rows = []
    for supplier_id, facts in supplier_facts(supplier_ids=supplier_ids).items():
        card = scorecard(facts)
        rows.append(
            SupplierScorecard(
                supplier_id=supplier_id, total=card.total, card=card.to_dict(), computed_at=now
            )
        )
    if rows:
        SupplierScorecard.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["supplier"],
            update_fields=["total", "card", "computed_at"],
        )
        listing_changed()  # buyers filter lots by their supplier's score
    return rows


def scorecard_refresh(*, supplier_id: int) -> SupplierScorecard:
    return scorecards_refresh(supplier_ids=[supplier_id])[0]


def supplier_ids_all() -> list[int]:
    return list(
        Organisation.objects.filter(kind__in=SUPPLIER_KINDS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def scorecards_refresh_all(*, chunk_size: int = CHUNK_SUPPLIERS, progress=None) -> int:
    """Every supplier's scorecard, `chunk_size` suppliers at a time; `progress(n)` after each."""
    ids = supplier_ids_all()
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        scorecards_refresh(supplier_ids=chunk)
        if progress is not None:
            progress(len(chunk))
    return len(ids)


def _changed_since(computed_at: str, supplier: str = "pk"):
    """Whether any of a supplier's lots or their read models changed after `computed_at`
    (an outer reference). An EXISTS over rows newer than the stored score: the summaries by
    their `updated_at` index (few change within `MAX_AGE`), the lots by (supplier,
    updated_at), so the check costs the same for a supplier of ten lots or ten thousand.

    The summaries are also bounded by `MAX_AGE`, a constant the planner can estimate (the
    score's time is an outer reference it cannot): a score older than that is stale anyway,
    and with the bound the few summaries changed within the hour are read from their index
    instead of every summary being scanned."""
    recent = timezone.now() - MAX_AGE
    summaries = LotSummary.objects.filter(
        lot__supplier_id=OuterRef(supplier),
        updated_at__gt=OuterRef(computed_at),
        updated_at__gte=recent,
    )
    lots = Lot.objects.filter(supplier_id=OuterRef(supplier), updated_at__gt=OuterRef(computed_at))
    return Exists(summaries) | Exists(lots)


def _with_freshness(orgs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """Each organisation with its stored scorecard and whether its lots changed since."""
    return orgs.select_related("scorecard").annotate(
        score_outdated=_changed_since("scorecard__computed_at")
    )


def _stale(row: SupplierScorecard | None, outdated: bool, now: datetime) -> bool:
    return row is None or row.computed_at < now - MAX_AGE or bool(outdated)


def scorecards_current(*, organisations: QuerySet[Organisation]) -> list[SupplierScorecard]:
    """The organisations' stored scorecards, recomputed first where stale: one query when all
    are current, four more when any is not."""
    orgs = list(_with_freshness(organisations))
    now = timezone.now()
    stale = [
        org.pk for org in orgs if _stale(getattr(org, "scorecard", None), org.score_outdated, now)
    ]
    fresh = {row.supplier_id: row for row in scorecards_refresh(supplier_ids=stale)}
    out = []
    for org in orgs:
        row = fresh.get(org.pk) or org.scorecard
        row.supplier = org
        out.append(row)
    return out


def lots_with_scorecard(lots: QuerySet[Lot]) -> QuerySet[Lot]:
    """`lots` with their supplier's stored scorecard and its freshness, for
    `scorecard_of_lot`: a lot page reads its supplier's score in the lot's own query."""
    return lots.select_related("supplier__scorecard").annotate(
        score_outdated=_changed_since("supplier__scorecard__computed_at", "supplier_id")
    )


def scorecard_of_lot(lot: Lot) -> SupplierScorecard | None:
    """The supplier's current scorecard for a lot read through `lots_with_scorecard`: no
    query while the stored one is current, a refresh when it is not."""
    supplier = lot.supplier
    if supplier.kind not in SUPPLIER_KINDS:
        return None
    row = getattr(supplier, "scorecard", None)
    if _stale(row, getattr(lot, "score_outdated", True), timezone.now()):
        row = scorecard_refresh(supplier_id=supplier.pk)
    row.supplier = supplier
    return row


def scorecard_current(*, supplier_id: int) -> SupplierScorecard | None:
    rows = scorecards_current(
        organisations=Organisation.objects.filter(pk=supplier_id, kind__in=SUPPLIER_KINDS)
    )
    return rows[0] if rows else None


class Access(StrEnum):
    FULL = "full"  # every part's inputs, the trends and the advice
    SUMMARY = "summary"  # the score and its parts' values: what a buyer sees


def scorecard_access(*, user: User, supplier: Organisation) -> Access | None:
    """Auditors and the supplier's own members see it in full, anyone else signed in the
    summary: a buyer never sees the inputs, which count the supplier's unverified lots."""
    if not user.is_authenticated:
        return None
    if is_auditor(user) or is_member(user=user, organisation_id=supplier.pk):
        return Access.FULL
    return Access.SUMMARY


@dataclass(frozen=True)
class ScorecardView:
    supplier: Organisation
    card: Scorecard
    computed_at: datetime
    access: Access

    @property
    def full(self) -> bool:
        return self.access == Access.FULL


def scorecard_view(row: SupplierScorecard, *, access: Access) -> ScorecardView:
    return ScorecardView(
        supplier=row.supplier,
        card=Scorecard.from_dict(row.card),
        computed_at=row.computed_at,
        access=access,
    )


def scorecard_data(view: ScorecardView) -> dict:
    """The scorecard as plain data for the API, cut to what the reader may see."""
    card = view.card
    parts = []
    for p in card.parts:
        part = {"key": p.key, "label": p.label, "weight": p.weight, "value": p.value}
        if view.full:
            part |= {"reason": p.reason, "inputs": dict(p.inputs), "advice": list(p.advice)}
        elif p.value is None:
            part["reason"] = p.reason
        parts.append(part)
    data = {
        "supplier": {"id": view.supplier.pk, "name": view.supplier.name},
        "total": card.total,
        "total_reason": card.total_reason,
        "computed_at": view.computed_at,
        "access": str(view.access),
        "parts": parts,
    }
    if view.full:
        data["trends"] = [t.__dict__ for t in card.trends]
    return data


def scorecard_list(*, order: str = "-total") -> list[SupplierScorecard]:
    """Every supplier's current scorecard, for the auditors' list, sorted by score (unscored
    last) or by name."""
    rows = scorecards_current(organisations=Organisation.objects.filter(kind__in=SUPPLIER_KINDS))
    if order in ("name", "-name"):
        rows.sort(key=lambda r: r.supplier.name.lower(), reverse=order == "-name")
    else:
        sign = 1 if order == "total" else -1
        scored = [r for r in rows if r.total is not None]
        scored.sort(key=lambda r: (sign * r.total, r.supplier.name.lower()))
        rows = scored + sorted(
            (r for r in rows if r.total is None), key=lambda r: r.supplier.name.lower()
        )
    return rows
