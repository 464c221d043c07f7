"""The sampling plan: ISO 2859-1 general inspection level II by default, editable per rule set."""

import itertools

import pytest

from routing.domain.sampling import (
    DEFAULT_SAMPLE_PLAN,
    SamplePlanError,
    sample_plan_text,
    sample_plan_validated,
    sample_size_required,
)

# The standard's table, lot-size range by range (2-8: 2 ... 3201-10000: 200).
ISO_ROWS = [
    (2, 8, 2),
    (9, 15, 3),
    (16, 25, 5),
    (26, 50, 8),
    (51, 90, 13),
    (91, 150, 20),
    (151, 280, 32),
    (281, 500, 50),
    (501, 1200, 80),
    (1201, 3200, 125),
    (3201, 10000, 200),
]


@pytest.mark.parametrize(("low", "high", "sample"), ISO_ROWS)
def test_every_lot_size_of_a_range_takes_the_standards_sample(low, high, sample):
    for lot_size in (low, (low + high) // 2, high):
        assert sample_size_required(lot_size) == sample


def test_the_boundaries_move_to_the_next_row():
    for (_, high, sample), (_, _, following) in itertools.pairwise(ISO_ROWS):
        assert sample_size_required(high) == sample
        assert sample_size_required(high + 1) == following


def test_a_lot_of_one_needs_its_one_pack_and_huge_lots_the_last_row():
    assert sample_size_required(1) == 1
    assert sample_size_required(10001) == 200
    assert sample_size_required(500_000) == 200


def test_the_sample_never_exceeds_the_lot():
    plan = ((10, 20),)
    assert sample_size_required(4, plan) == 4
    assert sample_size_required(30, plan) == 20


def test_every_lot_size_up_to_ten_thousand_is_monotone():
    sizes = [sample_size_required(n) for n in range(1, 10_001)]
    assert all(a <= b for a, b in itertools.pairwise(sizes))


def test_a_lot_has_at_least_one_pack():
    with pytest.raises(ValueError):
        sample_size_required(0)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ([], "at least one row"),
        ("8:2", "at least one row"),
        ([[8]], "two whole numbers"),
        ([[8, 2.5]], "two whole numbers"),
        ([[8, True]], "two whole numbers"),
        ([[0, 2]], "at least 1"),
        ([[8, 2], [8, 3]], "increase"),
        ([[8, 3], [15, 2]], "smaller sample"),
    ],
)
def test_a_malformed_plan_is_refused_with_the_reason(plan, message):
    with pytest.raises(SamplePlanError, match=message):
        sample_plan_validated(plan)


def test_the_default_plan_is_valid_and_reads_as_the_standard():
    assert sample_plan_validated([list(r) for r in DEFAULT_SAMPLE_PLAN]) == DEFAULT_SAMPLE_PLAN
    text = sample_plan_text(DEFAULT_SAMPLE_PLAN)
    assert text.startswith("1-8: 2, 9-15: 3, 16-25: 5")
    assert text.endswith("3201-10000: 200, over 10000: 200")
