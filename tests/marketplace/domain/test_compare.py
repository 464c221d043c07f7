import pytest

from marketplace.domain.compare import CompareInputError, parse_lot_ids


@pytest.mark.parametrize(
    ("values", "ids"),
    [
        (["1,2"], [1, 2]),
        (["1", "2", "3"], [1, 2, 3]),
        (["4, 3", "2"], [4, 3, 2]),
        (["1,2,1", "2"], [1, 2]),
        (["1,,2,"], [1, 2]),
    ],
)
def test_ids_come_from_commas_repeats_or_both_in_order_and_once(values, ids):
    assert parse_lot_ids(values) == ids


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (["1,2,3,4,5"], "at most 4"),
        (["1", "2", "3", "4", "5"], "at most 4"),
        (["1,x"], "not a lot number"),
        (["-1,2"], "not a lot number"),
        (["1.5,2"], "not a lot number"),
        (["0,2"], "not a lot number"),
        (["\u0661,2"], "not a lot number"),  # an Arabic-Indic digit one: not ASCII
        ([], "at least 2"),
        (["7"], "at least 2"),
    ],
)
def test_bad_input_is_refused_with_the_reason(values, reason):
    with pytest.raises(CompareInputError, match=reason):
        parse_lot_ids(values)
