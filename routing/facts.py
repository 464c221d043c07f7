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


@dataclass(frozen=True)
class PackMeasure:
    """What routing takes from a pack's latest measurement: plain figures."""

    soh_pct: float
    resistance_ratio: float | None = None
    weakest_cell_soh_pct: float | None = None


@dataclass(frozen=True)
class LotInputs:
    soh_pct: float
    all_measured: bool
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
