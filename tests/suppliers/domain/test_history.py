"""The one rule of a documented history: dates in order and not in the future, a custody
transfer naming both holders, each from the holder the one before it handed the packs to."""

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from suppliers.domain.history import HistoryFact, history_problems, holder_key

TODAY = date(2026, 12, 2)
KINDS = ["manufactured", "in_service", "removed", "accident", "storage", "custody_transfer"]
DATES = st.dates(date(2000, 1, 1), date(2030, 12, 31))


def messages(events, **kwargs):
    return [p.message for p in history_problems(events, today=TODAY, **kwargs)]


def transfer(on, giver="", taker="", pack=None):
    return HistoryFact("custody_transfer", on, custody_from=giver, custody_to=taker, pack=pack)


def test_a_coherent_history_has_no_problem():
    events = [
        HistoryFact("manufactured", date(2017, 1, 1), actor="CATL"),
        transfer(date(2017, 2, 1), "CATL", "Volta Fleet"),
        HistoryFact("in_service", date(2017, 3, 1), actor="Volta Fleet", vin="WVWZZZ1KZAW000001"),
        HistoryFact("removed", date(2025, 9, 2), actor="Volta Fleet"),
        transfer(date(2025, 10, 1), "volta  fleet", "ReCell"),
        HistoryFact("storage", TODAY),
    ]
    assert history_problems(events, today=TODAY) == []


def test_removal_before_manufacture_names_both_dates():
    (problem,) = history_problems(
        [("manufactured", date(2020, 1, 1)), ("removed", date(2019, 6, 1))], today=TODAY
    )
    assert problem.index == 1 and problem.field == "occurred_on"
    assert problem.message == (
        "The removal from service date 2019-06-01 is before the packs were made (2020-01-01)."
    )


def test_removal_before_entry_into_service_is_refused():
    (problem,) = history_problems(
        [("in_service", date(2020, 1, 1)), ("removed", date(2019, 6, 1))], today=TODAY
    )
    assert problem.index == 1
    assert problem.message == (
        "The removal from service date 2019-06-01 is before the packs entered service (2020-01-01)."
    )


def test_a_date_in_the_future_is_refused_whatever_the_event():
    for kind in KINDS:
        event = HistoryFact(kind, TODAY + timedelta(days=1), custody_from="A", custody_to="B")
        (problem,) = history_problems([event], today=TODAY)
        assert "is in the future" in problem.message


def test_packs_are_made_once_and_the_second_manufacture_is_the_one_refused():
    problems = history_problems(
        [("manufactured", date(2020, 1, 1)), ("manufactured", date(2021, 1, 1))], today=TODAY
    )
    assert [(p.index, p.message, p.field) for p in problems] == [
        (1, "The packs can only be made once.", "kind")
    ]


def test_a_custody_transfer_names_who_handed_over_and_who_took():
    on = date(2024, 1, 1)
    assert messages([transfer(on)]) == [
        "The custody transfer on 2024-01-01 needs who handed the packs over (from) and who took "
        "them (to)."
    ]
    assert messages([transfer(on, taker="B")]) == [
        "The custody transfer on 2024-01-01 needs who handed the packs over (from)."
    ]
    (problem,) = history_problems([transfer(on, giver="A")], today=TODAY)
    assert problem.field == "custody_to"
    assert problem.message == "The custody transfer on 2024-01-01 needs who took the packs (to)."
    assert messages([transfer(on, "ACME", " acme ")]) == [
        "The custody transfer on 2024-01-01 is from ACME to the same holder."
    ]


def test_consecutive_transfers_chain_whatever_the_order_given():
    events = [
        transfer(date(2023, 1, 1), "B", "C"),
        transfer(date(2022, 1, 1), "A", "B"),
        transfer(date(2024, 1, 1), "X", "D"),
    ]
    (problem,) = history_problems(events, today=TODAY)
    assert problem.index == 2 and problem.field == "custody_from"
    assert problem.message == (
        "The custody transfer on 2024-01-01 is from X, but the transfer before it (on "
        "2023-01-01) handed the packs to C."
    )


def test_each_pack_story_is_the_lot_events_with_its_own():
    events = [
        transfer(date(2022, 1, 1), "A", "B"),  # every pack
        transfer(date(2023, 1, 1), "B", "C", pack=1),
        transfer(date(2023, 6, 1), "B", "D", pack=2),  # another pack: its own chain
        transfer(date(2024, 1, 1), "B", "E", pack=1),  # pack 1 was handed to C
        HistoryFact("manufactured", date(2021, 1, 1)),
        HistoryFact("manufactured", date(2021, 2, 1), pack=2),  # pack 2's own date
        HistoryFact("manufactured", date(2021, 3, 1), pack=2),  # pack 2 made twice
    ]
    problems = history_problems(events, today=TODAY)
    assert [(p.index, p.message.split(",")[0]) for p in problems] == [
        (3, "The custody transfer on 2024-01-01 is from B"),
        (6, "The packs can only be made once."),
    ]


def test_a_packs_own_manufacture_and_removal_replace_the_lots_for_that_pack():
    """The lot's dates stand for the packs that give none; a pack's own are more precise."""
    events = [
        HistoryFact("manufactured", date(2018, 1, 1)),
        HistoryFact("removed", date(2023, 1, 1)),
        HistoryFact("manufactured", date(2017, 6, 1), pack=1),
        HistoryFact("in_service", date(2023, 6, 1), pack=1),  # after the lot's removal
        HistoryFact("removed", date(2024, 6, 1), pack=1),  # its own removal, later
    ]
    assert history_problems(events, today=TODAY) == []
    # Without its own removal, the lot's stands: removed before it entered service.
    problems = history_problems(events[:4], today=TODAY)
    assert [p.index for p in problems] == [1]


def test_a_vin_is_17_characters_without_i_o_or_q():
    assert messages([HistoryFact("in_service", date(2020, 1, 1), vin="1HGCM82633A004352")]) == []
    for bad in ("VIN123", "1HGCM82633A00435O", "1HGCM82633A004352X"):
        (problem,) = history_problems(
            [HistoryFact("in_service", date(2020, 1, 1), vin=bad)], today=TODAY
        )
        assert problem.field == "vin" and bad in problem.message


def test_holders_compare_whatever_their_case_and_spacing():
    assert holder_key("  ACME   Recycling Ltd ") == holder_key("acme recycling ltd")
    assert holder_key("ACME") != holder_key("ACME 2")


@given(st.lists(st.tuples(st.sampled_from(KINDS[:5]), DATES), max_size=8))
def test_date_problems_are_exactly_the_incoherent_events(events):
    problems = history_problems(events, today=TODAY)
    made = [on for kind, on in events if kind == "manufactured"]
    served = [on for kind, on in events if kind == "in_service"]
    flagged = {p.index for p in problems if p.message != "The packs can only be made once."}
    for index, (kind, on) in enumerate(events):
        wrong = (
            on > TODAY
            or (made and kind != "manufactured" and on < min(made))
            or (served and kind == "removed" and on < min(served))
        )
        assert (index in flagged) == bool(wrong)
    twice = [p.index for p in problems if p.message == "The packs can only be made once."]
    assert twice == [i for i, (kind, _) in enumerate(events) if kind == "manufactured"][1:]


HOLDERS = st.sampled_from(["A", "B", "C", "D"])


@given(st.lists(st.tuples(DATES.filter(lambda d: d <= TODAY), HOLDERS, HOLDERS), max_size=7))
def test_a_transfer_is_refused_exactly_when_the_one_before_went_to_someone_else(rows):
    events = [transfer(on, giver, taker) for on, giver, taker in rows]
    problems = history_problems(events, today=TODAY)
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], i))
    broken = {after for before, after in pairwise(order) if rows[before][2] != rows[after][1]}
    same = {i for i, (_, giver, taker) in enumerate(rows) if giver == taker}
    chain = {p.index for p in problems if "the transfer before it" in p.message}
    assert chain == broken
    assert {p.index for p in problems if "to the same holder" in p.message} == same
