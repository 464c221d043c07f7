"""The chain of custody: holder periods from manufacture to today, and the gaps between."""

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from suppliers.domain.custody import CustodyEvent, custody_chain

TODAY = date(2026, 1, 1)


def made(on, actor=""):
    return CustodyEvent("manufactured", on, actor=actor)


def moved(on, giver, taker):
    return CustodyEvent("custody_transfer", on, custody_from=giver, custody_to=taker)


def shape(chain):
    return [(p.start, p.end, p.holder) for p in chain.periods]


def test_no_events_no_chain():
    chain = custody_chain([], today=TODAY)
    assert chain.periods == () and chain.start is None and not chain.any_holder_known


def test_an_unbroken_chain_from_the_maker_has_no_gap():
    chain = custody_chain(
        [
            made(date(2018, 1, 1), "CATL"),
            moved(date(2019, 1, 1), "CATL", "Volta"),
            CustodyEvent("in_service", date(2019, 2, 1), actor="volta"),
            CustodyEvent("removed", date(2024, 1, 1), actor="Volta"),
            moved(date(2025, 1, 1), "Volta", "ReCell"),
        ],
        today=TODAY,
    )
    assert shape(chain) == [
        (date(2018, 1, 1), date(2019, 1, 1), "CATL"),
        (date(2019, 1, 1), date(2025, 1, 1), "Volta"),
        (date(2025, 1, 1), TODAY, "ReCell"),
    ]
    assert chain.gaps == () and chain.from_manufacture
    assert chain.holders == ("CATL", "Volta", "ReCell")


def test_a_transfer_from_someone_else_than_the_holder_leaves_a_gap_since_last_seen():
    chain = custody_chain(
        [
            made(date(2018, 1, 1), "CATL"),
            moved(date(2019, 1, 1), "CATL", "Volta"),
            CustodyEvent("removed", date(2024, 1, 1), actor="Volta"),
            moved(date(2025, 1, 1), "Dismantler X", "ReCell"),
        ],
        today=TODAY,
    )
    assert shape(chain) == [
        (date(2018, 1, 1), date(2019, 1, 1), "CATL"),
        (date(2019, 1, 1), date(2024, 1, 1), "Volta"),
        (date(2024, 1, 1), date(2025, 1, 1), None),
        (date(2025, 1, 1), TODAY, "ReCell"),
    ]
    (gap,) = chain.gaps
    assert gap.note == (
        "With Volta on 2024-01-01, with Dismantler X on 2025-01-01: the handover is not recorded."
    )


def test_the_time_before_the_first_known_holder_is_a_gap():
    chain = custody_chain(
        [made(date(2018, 1, 1)), CustodyEvent("removed", date(2025, 6, 1), actor="Volta")],
        today=TODAY,
    )
    assert shape(chain) == [
        (date(2018, 1, 1), date(2025, 6, 1), None),
        (date(2025, 6, 1), TODAY, "Volta"),
    ]
    assert chain.gaps[0].note == "Who held the packs after manufacture is not recorded."


def test_no_holder_at_all_is_one_gap_to_today():
    chain = custody_chain(
        [made(date(2018, 1, 1)), CustodyEvent("removed", date(2025, 6, 1))], today=TODAY
    )
    assert shape(chain) == [(date(2018, 1, 1), TODAY, None)]
    assert not chain.any_holder_known


def test_without_a_manufacture_date_the_chain_starts_at_the_first_event():
    chain = custody_chain(
        [CustodyEvent("storage", date(2022, 1, 1)), moved(date(2023, 1, 1), "A", "B")],
        today=TODAY,
    )
    assert not chain.from_manufacture
    assert shape(chain) == [
        (date(2022, 1, 1), date(2023, 1, 1), None),
        (date(2023, 1, 1), TODAY, "B"),
    ]


def test_a_transfer_naming_no_recipient_starts_a_gap():
    chain = custody_chain(
        [made(date(2018, 1, 1), "CATL"), moved(date(2020, 1, 1), "CATL", "")], today=TODAY
    )
    assert shape(chain) == [
        (date(2018, 1, 1), date(2020, 1, 1), "CATL"),
        (date(2020, 1, 1), TODAY, None),
    ]
    assert chain.gaps[0].note == "The transfer on 2020-01-01 does not say who took the packs."


def test_future_events_are_left_out_and_earlier_ones_count_from_manufacture():
    chain = custody_chain(
        [
            moved(date(2015, 1, 1), "CATL", "Volta"),  # before manufacture: counts from it
            made(date(2018, 1, 1), "CATL"),
            moved(TODAY + timedelta(days=3), "Volta", "Nobody yet"),
        ],
        today=TODAY,
    )
    assert shape(chain) == [(date(2018, 1, 1), TODAY, "Volta")]


EVENT = st.one_of(
    st.builds(
        CustodyEvent,
        kind=st.sampled_from(["manufactured", "in_service", "removed", "storage", "test"]),
        occurred_on=st.dates(date(2010, 1, 1), TODAY),
        actor=st.sampled_from(["", "A", "B", "c"]),
    ),
    st.builds(
        CustodyEvent,
        kind=st.just("custody_transfer"),
        occurred_on=st.dates(date(2010, 1, 1), TODAY),
        custody_from=st.sampled_from(["", "A", "B", "C"]),
        custody_to=st.sampled_from(["", "A", "B", "C"]),
    ),
)


@given(st.lists(EVENT, min_size=1, max_size=10))
def test_periods_run_without_overlap_from_the_start_to_today(events):
    chain = custody_chain(events, today=TODAY)
    made_on = [e.occurred_on for e in events if e.kind == "manufactured"]
    assert chain.start == (min(made_on) if made_on else min(e.occurred_on for e in events))
    assert chain.end == TODAY
    for before, after in pairwise(chain.periods):
        assert before.end == after.start
        assert not (
            before.holder and after.holder and before.holder.lower() == after.holder.lower()
        )
    assert all(p.end > p.start for p in chain.periods) or len(chain.periods) == 1
    assert all(p.note for p in chain.gaps)
    assert chain.any_holder_known == any(not p.is_gap for p in chain.periods)


@given(
    st.lists(st.integers(1, 400), min_size=1, max_size=8),
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.booleans(),
)
def test_gaps_are_exactly_the_broken_links(steps, breaks, maker_known):
    """A run of transfers on strictly later days: each from the last recipient, unless it is
    a break (from a stranger). The gaps are the breaks, and the time after manufacture when
    the maker is not named."""
    day = date(2015, 1, 1)
    events = [made(day, "Maker" if maker_known else "")]
    holder, expected = "Maker" if maker_known else "", int(not maker_known)
    for n, (step, broken) in enumerate(zip(steps, breaks, strict=False)):
        day += timedelta(days=step)
        giver = f"Stranger {n}" if broken or not holder else holder
        expected += broken and bool(holder)
        events.append(moved(day, giver, f"Holder {n}"))
        holder = f"Holder {n}"
    chain = custody_chain(events, today=TODAY)
    assert len(chain.gaps) == expected
    assert chain.periods[-1].holder == holder
