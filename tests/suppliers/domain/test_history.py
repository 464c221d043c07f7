from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from suppliers.domain.history import history_problems

TODAY = date(2026, 12, 2)
KINDS = ["manufactured", "in_service", "removed", "accident", "storage", "custody_transfer"]


def test_a_coherent_history_has_no_problem():
    events = [("manufactured", date(2017, 1, 1)), ("in_service", date(2017, 3, 1)),
              ("removed", date(2025, 9, 2)), ("storage", TODAY)]  # fmt: skip
    assert history_problems(events, today=TODAY) == []


def test_removal_before_manufacture_names_both_dates():
    (problem,) = history_problems(
        [("manufactured", date(2020, 1, 1)), ("removed", date(2019, 6, 1))], today=TODAY
    )
    assert problem.index == 1
    assert problem.message == (
        "The removal from service date 2019-06-01 is before the packs were made (2020-01-01)."
    )


def test_a_date_in_the_future_is_refused_whatever_the_event():
    for kind in KINDS:
        (problem,) = history_problems([(kind, TODAY + timedelta(days=1))], today=TODAY)
        assert "is in the future" in problem.message


def test_packs_are_made_once():
    problems = history_problems(
        [("manufactured", date(2020, 1, 1)), ("manufactured", date(2021, 1, 1))], today=TODAY
    )
    assert [p.message for p in problems] == ["The packs can only be made once."]


@given(
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.dates(date(2000, 1, 1), date(2030, 12, 31))),
        max_size=8,
    )
)
def test_problems_are_exactly_the_incoherent_events(events):
    problems = history_problems(events, today=TODAY)
    made = [on for kind, on in events if kind == "manufactured"]
    flagged = {p.index for p in problems if p.index < len(events)}
    for index, (kind, on) in enumerate(events):
        wrong = on > TODAY or (made and kind != "manufactured" and on < min(made))
        assert (index in flagged) == bool(wrong)
    assert any(p.index == len(events) for p in problems) == (len(made) > 1)
