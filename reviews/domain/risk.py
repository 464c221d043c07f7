"""What needs a person, and how risky each item is: plain facts in, a score and reasons out.

The score (0 to 100, higher first in the queue) adds these parts and caps the sum at 100:

=====================  ======================================================================
part                   points
=====================  ======================================================================
kind of item           duplicate evidence 20, an answer waiting 12, discrepancy 10, rejected or
                       failed evidence 8, held route 8, inconclusive test 5, short of its
                       sampling plan 5, pack model awaiting approval 5 (the same evidence
                       twice may be fraud; a supplier who answered is waiting for a person,
                       ahead of the lot's own discrepancy)
claim vs measurement   2 per SOH point of |claimed - measured|, at most 40 (20 points off)
safety events          25 for an accident, thermal event, swelling, leak or flood in the pack's
                       or lot's history; 15 for a deep discharge alone (at most 25 in all)
NMC / NCA thresholds   10 when the SOH is within ±3 points of 80 %; 10 when the resistance
                       ratio is within 1.35-1.65 x (the route turns on these two figures)
supplier's record      15 x the share of the supplier's latest runs that were a discrepancy or
                       duplicate evidence
staleness              1 per 36.5 days since the test data were uploaded, at most 10 (a year)
=====================  ======================================================================
"""

from dataclasses import dataclass, field
from enum import StrEnum


class ItemKind(StrEnum):
    DISCREPANCY = "discrepancy"
    DUPLICATE = "duplicate"
    INCONCLUSIVE = "inconclusive"
    REJECTED_EVIDENCE = "rejected_evidence"  # rejected as not this pack's, or failed to read
    HELD_ROUTE = "held_route"
    SHORT_OF_PLAN = "short_of_plan"
    ANSWER_WAITING = "answer_waiting"
    UNAPPROVED_MODEL = "unapproved_model"  # measured against ratings no auditor approved


ITEM_KIND_LABELS = {
    ItemKind.DISCREPANCY: "Discrepancy",
    ItemKind.DUPLICATE: "Duplicate evidence",
    ItemKind.INCONCLUSIVE: "Inconclusive test",
    ItemKind.REJECTED_EVIDENCE: "Rejected or failed evidence",
    ItemKind.HELD_ROUTE: "Route held for audit",
    ItemKind.SHORT_OF_PLAN: "Short of its sampling plan",
    ItemKind.ANSWER_WAITING: "Supplier answered",
    ItemKind.UNAPPROVED_MODEL: "Pack model awaiting approval",
}

KIND_POINTS = {
    ItemKind.DUPLICATE: 20,
    ItemKind.DISCREPANCY: 10,
    ItemKind.ANSWER_WAITING: 12,
    ItemKind.REJECTED_EVIDENCE: 8,
    ItemKind.HELD_ROUTE: 8,
    ItemKind.INCONCLUSIVE: 5,
    ItemKind.SHORT_OF_PLAN: 5,
    ItemKind.UNAPPROVED_MODEL: 5,
}
POINTS_PER_SOH_POINT = 2.0
MAX_DIFFERENCE_POINTS = 40.0
# History event kinds (suppliers.choices.HistoryEventKind values) that the routing engine treats
# as safety disqualifiers, and the one it holds for audit.
SAFETY_EVENT_KINDS = frozenset({"accident", "thermal_event", "swelling", "leak", "flood"})
DEEP_DISCHARGE_KIND = "deep_discharge"
SAFETY_POINTS = 25.0
DEEP_DISCHARGE_POINTS = 15.0
NICKEL_CHEMISTRIES = frozenset({"NMC", "NCA"})
NMC_SOH_THRESHOLD = 80.0
NMC_SOH_MARGIN = 3.0
NMC_RATIO_BAND = (1.35, 1.65)
NEAR_THRESHOLD_POINTS = 10.0
SUPPLIER_RECORD_POINTS = 15.0
STALE_DAYS_PER_POINT = 36.5
MAX_STALENESS_POINTS = 10.0
# Below these the part is too small to name among the reasons.
MIN_NAMED_STALE_DAYS = 90.0
MIN_NAMED_BAD_SHARE = 0.05

EVENT_LABELS = {
    "accident": "accident / crash damage",
    "thermal_event": "thermal event",
    "swelling": "swelling",
    "leak": "electrolyte leak",
    "flood": "flood",
    DEEP_DISCHARGE_KIND: "deep discharge",
}


@dataclass(frozen=True)
class RiskFacts:
    kind: ItemKind
    # measured - claimed SOH, in points (negative: the claim is higher than the measurement)
    difference_points: float | None = None
    # History event kinds of the pack and of its lot as a whole
    events: frozenset[str] = field(default_factory=frozenset)
    chemistry: str = ""
    soh_pct: float | None = None
    resistance_ratio: float | None = None
    # Share (0..1) of the supplier's latest runs that were a discrepancy or duplicate evidence
    supplier_bad_share: float | None = None
    test_data_age_days: float | None = None


def _finite(value: float | None) -> bool:
    return value is not None and value == value and value not in (float("inf"), float("-inf"))


def _difference(facts: RiskFacts) -> tuple[float, list[str]]:
    if not _finite(facts.difference_points):
        return 0.0, []
    size = abs(facts.difference_points)
    points = min(size * POINTS_PER_SOH_POINT, MAX_DIFFERENCE_POINTS)
    if size < 0.05:
        return points, []
    side = "below" if facts.difference_points < 0 else "above"
    return points, [f"measured {size:.1f} SOH points {side} the claim"]


def _safety(facts: RiskFacts) -> tuple[float, list[str]]:
    safety = sorted(facts.events & SAFETY_EVENT_KINDS)
    deep = DEEP_DISCHARGE_KIND in facts.events
    if not safety and not deep:
        return 0.0, []
    named = [EVENT_LABELS[kind] for kind in safety] + (["deep discharge"] if deep else [])
    points = SAFETY_POINTS if safety else DEEP_DISCHARGE_POINTS
    return points, [f"history records {', '.join(named)}"]


def _nickel_thresholds(facts: RiskFacts) -> tuple[float, list[str]]:
    if facts.chemistry not in NICKEL_CHEMISTRIES:
        return 0.0, []
    points, reasons = 0.0, []
    if _finite(facts.soh_pct) and abs(facts.soh_pct - NMC_SOH_THRESHOLD) <= NMC_SOH_MARGIN:
        points += NEAR_THRESHOLD_POINTS
        reasons.append(f"{facts.chemistry} at {facts.soh_pct:.1f} % SOH, near the 80 % threshold")
    low, high = NMC_RATIO_BAND
    if _finite(facts.resistance_ratio) and low <= facts.resistance_ratio <= high:
        points += NEAR_THRESHOLD_POINTS
        reasons.append(
            f"{facts.chemistry} resistance {facts.resistance_ratio:.2f}\u00d7 baseline, "
            "near the 1.5\u00d7 threshold"
        )
    return points, reasons


def _supplier(facts: RiskFacts) -> tuple[float, list[str]]:
    share = facts.supplier_bad_share
    if not _finite(share):
        return 0.0, []
    share = min(max(share, 0.0), 1.0)
    points = SUPPLIER_RECORD_POINTS * share
    if share < MIN_NAMED_BAD_SHARE:
        return points, []
    return points, [f"supplier: {share:.0%} of its latest runs were discrepancies or duplicates"]


def _staleness(facts: RiskFacts) -> tuple[float, list[str]]:
    days = facts.test_data_age_days
    if not _finite(days) or days <= 0:
        return 0.0, []
    points = min(days / STALE_DAYS_PER_POINT, MAX_STALENESS_POINTS)
    if days < MIN_NAMED_STALE_DAYS:
        return points, []
    return points, [f"test data {days:.0f} days old"]


PARTS = (_difference, _safety, _nickel_thresholds, _supplier, _staleness)


def risk_score(facts: RiskFacts) -> tuple[int, list[str]]:
    """The item's risk, 0 to 100, and the reasons behind it, biggest part first."""
    total = float(KIND_POINTS[facts.kind])
    named: list[tuple[float, str]] = []
    for part in PARTS:
        points, reasons = part(facts)
        total += points
        named.extend((points, reason) for reason in reasons)
    named.sort(key=lambda pair: -pair[0])
    return min(round(total), 100), [reason for _, reason in named]
