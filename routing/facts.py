"""The engine's facts about a lot or a pack, built from plain values.

Routing reads the supplier's records (pack model, history) itself; measured figures reach it as
`PackMeasure` values from the lot pipeline, never as files or verification rows.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from suppliers.choices import ROUTING_EVENT_NAMES, HistoryEventKind
from suppliers.models import HistoryEvent, Lot, Pack

from .domain import PackFacts
from .domain.sampling import sample_confirmed


@dataclass(frozen=True)
class PackMeasure:
    """What routing takes from a pack's latest measurement: plain figures."""

    soh_pct: float
    resistance_ratio: float | None = None
    weakest_cell_soh_pct: float | None = None
    confirms: bool = True  # the measurement confirmed the pack's claim
    # The measurement is this pack's own evidence against an approved pack model (it confirmed
    # the claim or contradicted it): only then does it replace the claim in the lot's figures.
    stands: bool = True


@dataclass(frozen=True)
class LotInputs:
    soh_pct: float
    verified: bool  # the sampling plan is met and every measured pack confirms its claim
    sample_measured: bool  # the sampling plan's number of packs carry a standing measurement
    soh_source: str  # which pack the lot's SOH comes from, measured or claimed
    weakest_cell_source: str  # which pack holds the lot's weakest cell
    resistance_ratio: float | None
    weakest_cell_soh_pct: float | None


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
    soh_source: str = "",
    weakest_cell_source: str = "",
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
        soh_source=soh_source,
        weakest_cell_source=weakest_cell_source,
    )


def lot_routing_inputs(
    *, lot: Lot, packs: Sequence[Pack], measured: dict[int, PackMeasure], sample_size: int
) -> LotInputs:
    """The figures a lot is routed on: those of its weakest pack.

    A buyer takes every pack of the lot, so the lot is promised at its lowest measured SOH (the
    claim stands in for packs not yet measured), its highest resistance and its weakest cell.
    Its figures count as measured once `sample_size` packs confirm their claims and no measured
    pack contradicts its own.
    """
    all_runs = measured
    measured = {pk: m for pk, m in all_runs.items() if m.stands}
    per_pack = [
        measured[p.pk].soh_pct if p.pk in measured else float(p.effective_claimed_soh_pct)
        for p in packs
    ]
    source = "claimed for the lot"
    if per_pack:
        weakest = packs[per_pack.index(min(per_pack))]
        how = "measured on" if weakest.pk in measured else "claimed for"
        source = f"{how} pack {weakest.serial}"
    ratios = [m.resistance_ratio for m in measured.values() if m.resistance_ratio is not None]
    cells = {
        pk: m.weakest_cell_soh_pct
        for pk, m in measured.items()
        if m.weakest_cell_soh_pct is not None
    }
    serials = {p.pk: p.serial for p in packs}
    weakest_pack = min(cells, key=cells.__getitem__) if cells else None
    return LotInputs(
        soh_pct=min(per_pack) if per_pack else float(lot.claimed_soh_pct),
        verified=sample_confirmed(
            measured=len(all_runs),
            confirmed=sum(m.confirms for m in all_runs.values()),
            required=sample_size,
        ),
        sample_measured=sample_size > 0 and len(measured) >= sample_size,
        soh_source=source,
        resistance_ratio=max(ratios) if ratios else None,
        weakest_cell_soh_pct=cells[weakest_pack] if weakest_pack is not None else None,
        weakest_cell_source=f"in pack {serials.get(weakest_pack, weakest_pack)}" if cells else "",
    )
