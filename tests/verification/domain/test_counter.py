"""CounterCheck and counter_warnings: the cycler's own capacity counter vs integrated current."""

import numpy as np
import pytest

from verification.domain.counter import CounterCheck, CounterResult, counter_warnings
from verification.domain.cycles import Window
from verification.domain.errors import TestDataError

COLUMNS = {"current": "Amps", "capacity_counter": "Amp-hr"}


def window(current: list[float], time: list[float] | None = None) -> Window:
    """A first batch: its first sample repeated in front, as OnePass builds it."""
    amps = np.array([current[0], *current], dtype=np.float64)
    t = np.array([0.0, *(time or [3600.0 * k for k in range(len(current))])], dtype=np.float64)
    if time is not None:
        t[0] = time[0]
    volts = np.full(len(amps), 3.7)
    return Window(t, amps, volts, np.zeros(len(amps)), None, None, 1e-3)


def test_constant_current_agrees_with_its_counter() -> None:
    check = CounterCheck()
    check.add(window([-1.0, -1.0, -1.0]), np.array([0.0, 1.0, 2.0]))
    assert check.result() == CounterResult(2.0, 2.0, 3, 1.0)


def test_counter_resets_are_not_compared() -> None:
    check = CounterCheck()
    # Discharge 2 h, the counter resets to 0 at the third sample, then counts again.
    check.add(window([-1.0, -1.0, -1.0, -1.0]), np.array([0.0, 1.0, 0.0, 1.0]))
    result = check.result()
    assert result is not None
    assert (result.integrated_ah, result.counter_ah, result.pairs) == (2.0, 2.0, 3)


def test_batches_join_on_the_last_counter_value() -> None:
    check = CounterCheck()
    check.add(window([-1.0, -1.0]), np.array([0.0, 1.0]))
    t = np.array([3600.0, 7200.0, 10800.0])
    w = Window(t, np.full(3, -1.0), np.full(3, 3.7), np.zeros(3), None, None, 1e-3)
    check.add(w, np.array([2.0, 3.0]))
    assert check.result() == CounterResult(3.0, 3.0, 4, 1.0)


def test_rest_pairs_are_not_counted() -> None:
    check = CounterCheck()
    check.add(window([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.0]))
    assert check.pairs == 0 and check.result() is None


def test_nan_counter_steps_are_skipped() -> None:
    check = CounterCheck()
    check.add(window([-1.0, -1.0, -1.0]), np.array([0.0, np.nan, 2.0]))
    # Steps: 0 (first pair), nan, nan: only the zero-length first pair counts, and it moved 0 Ah.
    assert check.pairs == 1 and check.result() is None


def test_too_little_counted_charge_says_nothing() -> None:
    check = CounterCheck()
    # 3 Ah moved; the counter falls on two of the three pairs, so it covers 1 Ah of 3 (< 50 %).
    check.add(window([-1.0, -1.0, -1.0, -1.0]), np.array([5.0, 4.0, 3.0, 4.0]))
    assert check.total_ah == 3.0 and check.integrated_ah == 1.0
    assert check.result() is None


def test_exactly_half_counted_is_judged() -> None:
    check = CounterCheck()
    check.add(window([-1.0, -1.0, -1.0]), np.array([5.0, 4.0, 5.0]))
    assert check.total_ah == 2.0 and check.integrated_ah == 1.0
    assert check.result() == CounterResult(1.0, 1.0, 2, 1.0)


def test_no_pairs_is_none() -> None:
    assert CounterCheck().result() is None


def test_to_dict() -> None:
    assert CounterResult(2.0, 1.0, 5, 2.0).to_dict("Q") == {
        "column": "Q",
        "integrated_ah": 2.0,
        "counter_ah": 1.0,
        "sample_pairs": 5,
        "ratio": 2.0,
    }


def result(ratio: float | None, integrated: float = 10.0) -> CounterResult:
    counter = integrated / ratio if ratio else integrated
    return CounterResult(integrated, counter, 100, ratio)


@pytest.mark.parametrize("value", [None, result(None), result(1.0), result(1.0499), result(0.9501)])
def test_no_warning(value: CounterResult | None) -> None:
    assert counter_warnings(value, COLUMNS) == []


@pytest.mark.parametrize("ratio", [1.05, 0.95])
def test_exactly_five_percent_does_not_warn(ratio: float) -> None:
    assert counter_warnings(result(ratio), COLUMNS) == []


def test_just_over_five_percent_warns() -> None:
    assert counter_warnings(result(1.0501, 10.501), COLUMNS) == [
        "the integrated current ('Amps', 10.5 Ah) and the cycler's own capacity counter "
        "('Amp-hr', 10 Ah) differ by +5.0 %: the log may be too sparse for the test's steps, or "
        "a column's unit is wrong; the figures are from the integrated current"
    ]


def test_default_column_names_and_negative_difference() -> None:
    (warning,) = counter_warnings(CounterResult(9.0, 10.0, 3, 0.9), {})
    assert warning.startswith(
        "the integrated current ('current', 9 Ah) and the cycler's own capacity counter "
        "('capacity counter', 10 Ah) differ by -10.0 %"
    )


def test_factor_1000_larger_names_the_columns() -> None:
    with pytest.raises(TestDataError) as raised:
        counter_warnings(CounterResult(50000.0, 50.0, 10, 1000.0), COLUMNS)
    assert str(raised.value) == (
        "the current in 'Amps' integrates to 1000 times larger a capacity (5e+04 Ah) than the "
        "cycler's own counter 'Amp-hr' (50 Ah): one of the two columns is in milli-units under "
        "a unit header; export the file with the units its headers state"
    )


def test_factor_1000_smaller() -> None:
    with pytest.raises(TestDataError, match="integrates to 1000 times smaller a capacity"):
        counter_warnings(CounterResult(0.05, 50.0, 10, 0.001), COLUMNS)


@pytest.mark.parametrize(
    ("ratio", "slip"),
    [
        (1000.0 / 3.0 * 1.0001, True),
        (1000.0 * 3.0 * 0.9999, True),
        (1.0 / (1000.0 * 2.9), True),
        (1000.0 / 3.0 * 0.999, False),  # a 333x drift: a warning, not a unit slip
        (3001.0, False),
        (10.0, False),
    ],
)
def test_unit_slip_band_is_a_factor_of_three(ratio: float, slip: bool) -> None:
    value = result(ratio)
    if slip:
        with pytest.raises(TestDataError):
            counter_warnings(value, COLUMNS)
    else:
        assert len(counter_warnings(value, COLUMNS)) == 1
