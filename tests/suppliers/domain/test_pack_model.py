from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suppliers.domain.pack_model import CELL_VOLTAGE_SPAN_V, rating_problems

D = Decimal


def problems(**overrides):
    ratings = {
        "chemistry": "LFP",
        "nominal_voltage_v": D("51.2"),
        "nominal_capacity_ah": D("100"),
        "nominal_energy_kwh": D("5.12"),
        "cells_series": 16,
        "cells_parallel": 1,
    }
    return rating_problems(**{**ratings, **overrides})


def test_a_consistent_lfp_telecom_pack_has_no_problem():
    assert problems() == []


@pytest.mark.parametrize(
    ("chemistry", "volts", "series"),
    [("NMC", "44.4", 12), ("NCA", "360", 100), ("LMO", "370", 100), ("LTO", "23", 10)],
)
def test_published_cell_voltages_of_each_chemistry_fit(chemistry, volts, series):
    amp_hours = D("50")
    kwh = D(volts) * amp_hours / 1000
    assert (
        problems(
            chemistry=chemistry,
            nominal_voltage_v=D(volts),
            nominal_capacity_ah=amp_hours,
            nominal_energy_kwh=kwh,
            cells_series=series,
        )
        == []
    )


def test_a_negative_voltage_is_named_as_such_not_as_a_duplicate():
    found = problems(nominal_voltage_v=D("-51.2"))
    assert [(p.field, p.message) for p in found] == [
        ("nominal_voltage_v", "The nominal voltage must be above zero.")
    ]


def test_every_non_positive_rating_is_named():
    found = problems(nominal_capacity_ah=D("0"), nominal_energy_kwh=D("-1"), cells_series=0)
    assert {p.field for p in found} == {"nominal_capacity_ah", "nominal_energy_kwh", "cells_series"}


@pytest.mark.parametrize("mohm", ["0", "-1", "-5"])
def test_a_baseline_resistance_must_be_above_zero(mohm):
    found = problems(baseline_resistance_mohm=D(mohm))
    assert [(p.field, p.message) for p in found] == [
        ("baseline_resistance_mohm", "The beginning-of-life resistance must be above zero.")
    ]
    assert problems(baseline_resistance_mohm=D("38")) == []


def test_energy_that_disagrees_with_volts_times_amp_hours_names_both():
    (problem,) = problems(nominal_energy_kwh=D("5.5"))
    assert problem.field == "nominal_energy_kwh"
    assert "51.2 V x 100 Ah is 5.120 kWh, not 5.5 kWh" in problem.message


def test_energy_within_one_percent_is_accepted():
    assert problems(nominal_energy_kwh=D("5.17")) == []
    assert problems(nominal_energy_kwh=D("5.18")) != []


def test_cells_in_series_that_do_not_fit_the_chemistry_are_refused_with_what_would_fit():
    (problem,) = problems(cells_series=14)
    assert problem.field == "cells_series"
    assert "3.66 V per cell; LFP cells are 3.0-3.4 V nominal" in problem.message
    assert "16-17 cells in series would fit" in problem.message


def test_an_unknown_chemistry_has_no_cell_voltage_to_check():
    assert problems(chemistry="unknown", cells_series=3) == []


@given(
    chemistry=st.sampled_from(sorted(CELL_VOLTAGE_SPAN_V)),
    series=st.integers(min_value=1, max_value=400),
    per_cell_mv=st.integers(min_value=1000, max_value=5000),
)
def test_the_cell_check_agrees_with_the_span(chemistry, series, per_cell_mv):
    volts = D(per_cell_mv) * series / 1000
    kwh = volts * 10 / 1000
    found = problems(
        chemistry=chemistry,
        nominal_voltage_v=volts,
        nominal_capacity_ah=D("10"),
        nominal_energy_kwh=kwh,
        cells_series=series,
    )
    low, high = CELL_VOLTAGE_SPAN_V[chemistry]
    assert (found == []) == (low <= volts / series <= high)
