"""A supplier's scorecard: how far a buyer can trust what this supplier lists, from the data.

Plain facts in (`SupplierFacts`), a `Scorecard` out; no Django. Each part scores 0..100, or is
None with the reason it cannot be scored yet; the total is the weighted mean of the parts that
could be scored (weights renormalised over them), rounded to a whole number.

Parts and formulas (weights in brackets):

- **Claims confirmed** [0.30]: confirmed / (confirmed + discrepancy) over each pack's *latest*
  measuring run (earlier runs are history; a run against a pack model no auditor approved
  judges no claim and is left out). 100 x that share.
- **Claim accuracy** [0.20]: over the same runs, error = claimed - measured SOH (points).
  s(e) = 100 x clamp(1 - max(0, e - 1) / 19): the first point is measurement noise, 20 points
  off scores 0. Part = 0.75 x s(mean |error|) + 0.25 x s(worst |error|).
- **Reliable volume** [0.20]: kWh of lots that passed verification (verified, listed,
  reserved, sold) / kWh of lots whose verification has an outcome (those, plus discrepancy and
  rejected). Lots still in verification and withdrawn lots count in neither.
- **Pack consistency** [0.10]: 100 x the Herfindahl index of packs offered per pack model
  (sum of squared shares): one model scores 100, two in equal parts 50. Needs two lots.
- **Chemistry clarity** [0.10]: 100 x the share of packs offered whose pack model names its
  chemistry (anything but "unknown").
- **Clean evidence** [0.05]: 100 x (1 - problem uploads / settled uploads), where a problem
  upload is one whose latest run found it a duplicate of other evidence or not evidence for
  the pack (rejected), or that could not be read at all (failed). Inconclusive, cell-level and
  BMS-only uploads are neutral.
- **Response time to questions** [0.05]: the median time from an auditor's question or data
  request to the supplier's first answer, a question still open counting at its age so far:
  a day or less scores 100, `SLOW_RESPONSE_HOURS` (two weeks) or more 0, linear between.
  None while the auditors have asked nothing.
- **Confirmed on arrival** [weight 0 until measured]: the platform has no deals yet, so it is
  always None with that reason; it becomes a part with a weight once deals exist.

The total is None while fewer than `MIN_MEASURED_CLAIMS` claims have been measured: without
them a score would rest on the supplier's own word.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from statistics import median

MIN_MEASURED_CLAIMS = 5
MIN_LOTS_FOR_CONSISTENCY = 2
ERROR_FREE_POINTS = 1.0
ERROR_ZERO_AT_POINTS = 20.0
UNKNOWN_CHEMISTRY = "unknown"

CONFIRMED = "confirmed"
DISCREPANCY = "discrepancy"
# Verdicts whose measured SOH judges the pack's claim (the others judge nothing).
JUDGING_VERDICTS = frozenset({CONFIRMED, DISCREPANCY})
# Upload outcomes that count against the supplier: another pack's evidence offered again,
# a file that is not this pack's evidence, a file that could not be read.
PROBLEM_EVIDENCE = ("duplicate", "rejected", "failed")
PENDING_EVIDENCE = "pending"


@dataclass(frozen=True)
class Claim:
    """One pack's claim against its latest measuring run."""

    claimed_soh_pct: float
    measured_soh_pct: float
    verdict: str
    month: str  # "YYYY-MM" the run finished

    @property
    def error(self) -> float:
        """Positive: the supplier claimed more than was measured."""
        return self.claimed_soh_pct - self.measured_soh_pct


@dataclass(frozen=True)
class VolumeMonth:
    """Volume listed in one month (by the month the lot was listed), and what became of it."""

    month: str
    listed_packs: int = 0
    listed_kwh: float = 0.0
    verified_packs: int = 0
    verified_kwh: float = 0.0
    not_verified_packs: int = 0
    not_verified_kwh: float = 0.0


@dataclass(frozen=True)
class SupplierFacts:
    lots: int = 0  # lots listed (drafts and sub-lots split off a lot not counted)
    packs_by_model: Mapping[str, int] = field(default_factory=dict)  # packs offered
    packs_by_chemistry: Mapping[str, int] = field(default_factory=dict)
    claims: Sequence[Claim] = ()  # each pack's latest measuring run, any verdict
    evidence: Mapping[str, int] = field(default_factory=dict)  # uploads by outcome
    volume: Sequence[VolumeMonth] = ()
    # Auditors' questions: hours to the first answer, and the age in hours of those still open.
    answered_hours: Sequence[float] = ()
    open_hours: Sequence[float] = ()


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    weight: float
    value: float | None  # 0..100, None: not scored, see reason
    reason: str  # how the value was obtained, or why there is none
    inputs: Mapping[str, float | int | str | None] = field(default_factory=dict)
    advice: tuple[str, ...] = ()  # for the supplier: what would raise it

    @property
    def measured(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class TrendMonth:
    month: str
    listed_kwh: float = 0.0
    verified_kwh: float = 0.0
    listed_packs: int = 0
    verified_packs: int = 0
    claims: int = 0
    confirmed: int = 0
    confirmed_pct: float | None = None
    mean_error: float | None = None
    worst_error: float | None = None


@dataclass(frozen=True)
class Scorecard:
    total: int | None
    total_reason: str
    parts: tuple[Part, ...]
    trends: tuple[TrendMonth, ...] = ()

    def part(self, key: str) -> Part:
        return next(p for p in self.parts if p.key == key)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> "Scorecard":
        return cls(
            total=data.get("total"),
            total_reason=data.get("total_reason", ""),
            parts=tuple(
                Part(**{**p, "advice": tuple(p.get("advice", ()))}) for p in data.get("parts", ())
            ),
            trends=tuple(TrendMonth(**t) for t in data.get("trends", ())),
        )


def _clamp(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 1)


def _judged(facts: SupplierFacts) -> list[Claim]:
    return [c for c in facts.claims if c.verdict in JUDGING_VERDICTS]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def claims_confirmed(facts: SupplierFacts, spec: "PartSpec") -> Part:
    judged = _judged(facts)
    confirmed = sum(c.verdict == CONFIRMED for c in judged)
    awaiting = len(facts.claims) - len(judged)
    inputs = {"measured": len(judged), "confirmed": confirmed, "awaiting_judgement": awaiting}
    if len(judged) < MIN_MEASURED_CLAIMS:
        return spec.part(
            None,
            f"{_plural(len(judged), 'measured claim')}; at least {MIN_MEASURED_CLAIMS} are needed",
            inputs,
            (
                f"Upload complete capacity tests for more packs: "
                f"{MIN_MEASURED_CLAIMS - len(judged)} more measured claims give you a score.",
            ),
        )
    advice = ()
    if confirmed < len(judged):
        advice = (
            f"{len(judged) - confirmed} of {len(judged)} measured claims were contradicted by "
            "the measurement: claim each pack's SOH from your own complete capacity test.",
        )
    return spec.part(
        _clamp(100 * confirmed / len(judged)),
        f"{confirmed} of {len(judged)} measured claims confirmed (each pack's latest run)",
        inputs,
        advice,
    )


def error_score(error_points: float) -> float:
    """100 for an error within the measurement's noise, falling to 0 at 20 points."""
    over = max(0.0, abs(error_points) - ERROR_FREE_POINTS)
    return _clamp(100 * (1 - over / (ERROR_ZERO_AT_POINTS - ERROR_FREE_POINTS)))


def claim_accuracy(facts: SupplierFacts, spec: "PartSpec") -> Part:
    judged = _judged(facts)
    if len(judged) < MIN_MEASURED_CLAIMS:
        return spec.part(
            None,
            f"{_plural(len(judged), 'measured claim')}; at least {MIN_MEASURED_CLAIMS} are needed",
            {"measured": len(judged)},
        )
    errors = [c.error for c in judged]
    mean_abs = sum(abs(e) for e in errors) / len(errors)
    worst = max(errors, key=abs)
    bias = sum(errors) / len(errors)
    inputs = {
        "measured": len(judged),
        "mean_abs_error": round(mean_abs, 2),
        "worst_error": round(worst, 2),
        "mean_signed_error": round(bias, 2),
    }
    value = _clamp(0.75 * error_score(mean_abs) + 0.25 * error_score(worst))
    advice = []
    if value < 100:
        direction = "above" if bias > 0 else "below"
        advice.append(
            f"Your claims were {mean_abs:.1f} points off the measured SOH on average "
            f"({abs(bias):.1f} {direction} it), {abs(worst):.1f} at worst: claim per pack, "
            "from a recent full discharge, not a lot-wide estimate."
        )
    return spec.part(
        value,
        f"mean error {mean_abs:.1f} points, worst {worst:+.1f} points over "
        f"{_plural(len(judged), 'claim')}",
        inputs,
        tuple(advice),
    )


def reliable_volume(facts: SupplierFacts, spec: "PartSpec") -> Part:
    listed = sum(m.listed_kwh for m in facts.volume)
    verified = sum(m.verified_kwh for m in facts.volume)
    failed = sum(m.not_verified_kwh for m in facts.volume)
    inputs = {
        "listed_kwh": round(listed, 1),
        "verified_kwh": round(verified, 1),
        "not_verified_kwh": round(failed, 1),
        "listed_packs": sum(m.listed_packs for m in facts.volume),
        "verified_packs": sum(m.verified_packs for m in facts.volume),
    }
    decided = verified + failed
    if decided <= 0:
        return spec.part(
            None,
            "no listed lot has finished verification yet",
            inputs,
            ("Submit your lots with test data: volume that passes verification raises it.",),
        )
    advice = ()
    if failed > 0:
        advice = (
            f"{failed:.0f} kWh of your listed volume did not pass verification: test a sample "
            "of every lot before you list it, and list only what the tests support.",
        )
    return spec.part(
        _clamp(100 * verified / decided),
        f"{verified:.0f} of {decided:.0f} kWh with a verification outcome passed",
        inputs,
        advice,
    )


def pack_consistency(facts: SupplierFacts, spec: "PartSpec") -> Part:
    packs = {k: n for k, n in facts.packs_by_model.items() if n > 0}
    total = sum(packs.values())
    top, top_packs = max(packs.items(), key=lambda kv: (kv[1], kv[0])) if packs else ("", 0)
    inputs = {
        "lots": facts.lots,
        "pack_models": len(packs),
        "packs": total,
        "top_model": top,
        "top_model_share_pct": round(100 * top_packs / total, 1) if total else None,
    }
    if facts.lots < MIN_LOTS_FOR_CONSISTENCY or total == 0:
        return spec.part(
            None,
            f"{_plural(facts.lots, 'lot')} listed; consistency needs at least "
            f"{MIN_LOTS_FOR_CONSISTENCY}",
            inputs,
        )
    hhi = sum((n / total) ** 2 for n in packs.values())
    advice = ()
    if len(packs) > 1:
        advice = (
            f"Your packs span {len(packs)} pack models ({top} is {100 * top_packs / total:.0f} %): "
            "buyers value a steady supply of the same pack type.",
        )
    return spec.part(
        _clamp(100 * hhi),
        f"{_plural(len(packs), 'pack model')} over {_plural(total, 'pack')}",
        inputs,
        advice,
    )


def chemistry_clarity(facts: SupplierFacts, spec: "PartSpec") -> Part:
    total = sum(facts.packs_by_chemistry.values())
    unknown = facts.packs_by_chemistry.get(UNKNOWN_CHEMISTRY, 0)
    inputs = {
        "packs": total,
        "unknown_chemistry_packs": unknown,
        "unknown_share_pct": round(100 * unknown / total, 1) if total else None,
    }
    if total == 0:
        return spec.part(None, "no packs listed", inputs)
    advice = ()
    if unknown:
        advice = (
            f"{_plural(unknown, 'pack')} belong to pack models of unknown chemistry: name the "
            "chemistry (LFP, NMC, ...) from the maker's datasheet.",
        )
    return spec.part(
        _clamp(100 * (total - unknown) / total),
        f"{total - unknown} of {_plural(total, 'pack')} of a named chemistry",
        inputs,
        advice,
    )


def clean_evidence(facts: SupplierFacts, spec: "PartSpec") -> Part:
    settled = sum(n for k, n in facts.evidence.items() if k != PENDING_EVIDENCE)
    problems = {k: facts.evidence.get(k, 0) for k in PROBLEM_EVIDENCE}
    bad = sum(problems.values())
    inputs = {"uploads": settled, **problems}
    for key in sorted(set(facts.evidence) - set(PROBLEM_EVIDENCE)):
        inputs[key] = facts.evidence[key]
    if settled == 0:
        return spec.part(None, "no test data read yet", inputs)
    advice = []
    if problems["duplicate"]:
        advice.append(
            f"{_plural(problems['duplicate'], 'upload')} carried evidence already offered for "
            "another pack: upload each pack's own test."
        )
    if problems["rejected"]:
        advice.append(
            f"{_plural(problems['rejected'], 'upload')} did not fit the pack (voltage window, "
            "capacity): check the serial before uploading."
        )
    if problems["failed"]:
        advice.append(
            f"{_plural(problems['failed'], 'upload')} could not be read: export in a supported "
            "format (see the Test data section of the lot page)."
        )
    return spec.part(
        _clamp(100 * (1 - bad / settled)),
        f"{bad} of {_plural(settled, 'upload')} duplicate, rejected or unreadable",
        inputs,
        tuple(advice),
    )


FAST_RESPONSE_HOURS = 24.0
SLOW_RESPONSE_HOURS = 14 * 24.0


def response_time(facts: SupplierFacts, spec: "PartSpec") -> Part:
    waits = [*facts.answered_hours, *facts.open_hours]
    inputs = {"answered": len(facts.answered_hours), "open": len(facts.open_hours)}
    if not waits:
        return spec.part(None, "the auditors have asked nothing yet", inputs)
    typical = median(waits)
    inputs["median_hours"] = round(typical, 1)
    span = SLOW_RESPONSE_HOURS - FAST_RESPONSE_HOURS
    value = _clamp(100 * (SLOW_RESPONSE_HOURS - typical) / span)
    advice = []
    if facts.open_hours:
        advice.append(
            f"{_plural(len(facts.open_hours), 'question')} from the auditors "
            f"{'waits' if len(facts.open_hours) == 1 else 'wait'} for your answer (Questions)."
        )
    if typical > FAST_RESPONSE_HOURS:
        advice.append("Answer the auditors' questions within a day.")
    return spec.part(
        value,
        f"median {typical:.0f} h to an answer over {_plural(len(waits), 'question')}",
        inputs,
        tuple(advice),
    )


def not_measured(reason: str) -> Callable[[SupplierFacts, "PartSpec"], Part]:
    def compute(facts: SupplierFacts, spec: "PartSpec") -> Part:
        return spec.part(None, reason, {})

    return compute


@dataclass(frozen=True)
class PartSpec:
    key: str
    label: str
    weight: float
    compute: Callable[[SupplierFacts, "PartSpec"], Part]

    def part(self, value, reason, inputs, advice=()) -> Part:
        return Part(self.key, self.label, self.weight, value, reason, dict(inputs), tuple(advice))


PARTS: tuple[PartSpec, ...] = (
    PartSpec("claims_confirmed", "Claims confirmed", 0.30, claims_confirmed),
    PartSpec("claim_accuracy", "Claim accuracy", 0.20, claim_accuracy),
    PartSpec("reliable_volume", "Reliable volume", 0.20, reliable_volume),
    PartSpec("pack_consistency", "Consistent pack types", 0.10, pack_consistency),
    PartSpec("chemistry_clarity", "Chemistry clarity", 0.10, chemistry_clarity),
    PartSpec("clean_evidence", "Clean evidence", 0.05, clean_evidence),
    PartSpec(
        "confirmed_on_arrival",
        "Confirmed on arrival",
        0.0,
        not_measured("not measured yet: no deals on the platform"),
    ),
    PartSpec("response_time", "Response time to questions", 0.05, response_time),
)


def trends(facts: SupplierFacts) -> tuple[TrendMonth, ...]:
    """Per month: volume listed and verified, share of claims confirmed, claim error."""
    claims_by_month: dict[str, list[Claim]] = {}
    for claim in _judged(facts):
        claims_by_month.setdefault(claim.month, []).append(claim)
    volume = {m.month: m for m in facts.volume}
    rows = []
    for month in sorted(set(claims_by_month) | set(volume)):
        v = volume.get(month, VolumeMonth(month))
        claims = claims_by_month.get(month, [])
        confirmed = sum(c.verdict == CONFIRMED for c in claims)
        errors = [abs(c.error) for c in claims]
        rows.append(
            TrendMonth(
                month=month,
                listed_kwh=round(v.listed_kwh, 1),
                verified_kwh=round(v.verified_kwh, 1),
                listed_packs=v.listed_packs,
                verified_packs=v.verified_packs,
                claims=len(claims),
                confirmed=confirmed,
                confirmed_pct=round(100 * confirmed / len(claims), 1) if claims else None,
                mean_error=round(sum(errors) / len(errors), 2) if errors else None,
                worst_error=round(max(errors), 2) if errors else None,
            )
        )
    return tuple(rows)


def weighted_total(parts: Sequence[Part]) -> float | None:
    scored = [p for p in parts if p.value is not None and p.weight > 0]
    weight = sum(p.weight for p in scored)
    if weight <= 0:
        return None
    return sum(p.value * p.weight for p in scored) / weight


def scorecard(facts: SupplierFacts) -> Scorecard:
    parts = tuple(spec.compute(facts, spec) for spec in PARTS)
    judged = len(_judged(facts))
    if judged < MIN_MEASURED_CLAIMS:
        return Scorecard(
            total=None,
            total_reason=f"Not scored yet: {_plural(judged, 'measured claim')}, at least "
            f"{MIN_MEASURED_CLAIMS} are needed.",
            parts=parts,
            trends=trends(facts),
        )
    total = weighted_total(parts)
    scored = [p.label for p in parts if p.value is not None and p.weight > 0]
    return Scorecard(
        total=round(min(100.0, max(0.0, total))),
        total_reason=f"Weighted mean of {len(scored)} parts: {', '.join(scored)}.",
        parts=parts,
        trends=trends(facts),
    )
