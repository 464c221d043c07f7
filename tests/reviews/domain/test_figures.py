"""Figures rounded to what they mean, with units."""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviews.domain.figures import (
    MISSING,
    capacity_text,
    points_text,
    ratio_text,
    resistance_text,
    significant,
    soh_text,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.544013222808182, "4.54"),
        (84.0, "84.0"),
        (84.04, "84.0"),
        (123.4, "123"),
        (1234.5, "1230"),
        (0.012345, "0.0123"),
        (99.96, "100"),
        (9.996, "10.0"),
        (-4.544, "-4.54"),
        (0, "0"),
        (Decimal("100.00"), "100"),
    ],
)
def test_three_significant_figures(value, text):
    assert significant(value) == text


@pytest.mark.parametrize("value", [None, math.nan, math.inf])
def test_no_figure_is_a_dash(value):
    for formatter in (significant, soh_text, capacity_text, resistance_text, ratio_text):
        assert formatter(value) == MISSING


def test_each_figure_with_its_unit():
    assert soh_text(78.94999) == "78.9 %"
    assert soh_text(Decimal("85.00")) == "85.0 %"
    assert capacity_text(78.3412) == "78.3 Ah"
    assert resistance_text(31.26) == "31.3 mΩ"
    assert ratio_text(1.4973) == "1.50\u00d7"
    assert points_text(-12.345) == "-12.3 points"
    assert points_text(2) == "+2.0 points"
    assert points_text(-0.04) == points_text(0.03) == "+0.0 points"


@given(st.floats(min_value=1e-6, max_value=1e9))
def test_significant_keeps_three_digits_and_stays_close(value):
    text = significant(value)
    digits = text.replace(".", "").lstrip("0")
    assert len(digits.rstrip("0")) <= 3
    assert float(text) == pytest.approx(value, rel=0.005)
