"""What buyers filter a history by: safety events and a complete chain of custody."""

from datetime import date

from suppliers.choices import ROUTING_EVENT_NAMES
from suppliers.domain.custody import SAFETY_KINDS, history_flags
from suppliers.domain.history import HistoryFact

TODAY = date(2026, 6, 1)


def made(on="2019-03-01", actor="CATL"):
    return HistoryFact("manufactured", date.fromisoformat(on), actor=actor)


def moved(on, giver, taker, pack=None):
    return HistoryFact(
        "custody_transfer", date.fromisoformat(on), custody_from=giver, custody_to=taker, pack=pack
    )


def event(kind, on, actor="", pack=None):
    return HistoryFact(kind, date.fromisoformat(on), actor=actor, pack=pack)


def test_the_safety_kinds_are_the_routing_engines():
    assert frozenset(ROUTING_EVENT_NAMES) == SAFETY_KINDS


def test_no_history_is_no_chain():
    flags = history_flags([], today=TODAY)
    assert (flags.safety_events, flags.custody_complete) == (0, False)


def test_a_holder_throughout_is_complete():
    facts = [
        made(),
        moved("2020-01-10", "CATL", "Fleet AB"),
        moved("2025-02-01", "Fleet AB", "Volta"),
    ]
    assert history_flags(facts, today=TODAY).custody_complete


def test_a_handover_not_recorded_is_a_gap():
    # With the fleet, then with Volta, and nothing says how Volta got them.
    facts = [
        made(),
        moved("2020-01-10", "CATL", "Fleet AB"),
        event("removed", "2025-02-01", "Volta"),
    ]
    assert not history_flags(facts, today=TODAY).custody_complete


def test_a_maker_not_named_leaves_the_start_unknown():
    facts = [made(actor=""), moved("2020-01-10", "CATL", "Fleet AB")]
    assert not history_flags(facts, today=TODAY).custody_complete


def test_without_manufacture_the_chain_is_not_complete():
    facts = [moved("2020-01-10", "CATL", "Fleet AB")]
    assert not history_flags(facts, today=TODAY).custody_complete


def test_a_history_with_a_problem_is_not_complete():
    # A chain with holders throughout, but the removal is dated before entry into service.
    facts = [
        made(),
        event("in_service", "2021-01-01", "CATL"),
        event("removed", "2020-06-01", "CATL"),
    ]
    assert not history_flags(facts, today=TODAY).custody_complete


def test_safety_events_are_counted_for_the_lot_and_its_packs():
    facts = [
        made(),
        event("thermal_event", "2022-01-01"),
        event("swelling", "2023-01-01", pack=7),
        event("repair", "2023-02-01"),
    ]
    assert history_flags(facts, today=TODAY).safety_events == 2
