import pytest
from hypothesis import given
from hypothesis import strategies as st

from passports.domain.chemistry import (
    NOMINAL_CELL_V,
    TEXT,
    cells_in_series,
    chemistry_from_text,
    chemistry_text,
)


@pytest.mark.parametrize(
    ("text", "chemistry"),
    [
        ("Nickel Cobalt Manganese (NCM)", "NMC"),
        ("NMC 811", "NMC"),
        ("Lithium Iron Phosphate (LFP)", "LFP"),
        ("LiFePO4", "LFP"),
        ("Lithium Manganese Oxide", "LMO"),
        ("Nickel Cobalt Aluminium (NCA)", "NCA"),
        ("lithium titanate", "LTO"),
        ("sodium-ion", "unknown"),
        ("", "unknown"),
    ],
)
def test_passport_chemistry_text_is_read(text, chemistry):
    assert chemistry_from_text(text) == chemistry


@pytest.mark.parametrize("chemistry", list(TEXT))
def test_our_names_survive_the_round_trip(chemistry):
    assert chemistry_from_text(chemistry_text(chemistry)) == chemistry


@given(st.integers(min_value=1, max_value=400), st.sampled_from(["LFP", "NMC", "NCA", "LTO"]))
def test_cells_in_series_are_recovered_from_a_typical_nominal_voltage(cells, chemistry):
    volts = round(cells * NOMINAL_CELL_V[chemistry], 2)
    assert cells_in_series(chemistry=chemistry, nominal_voltage_v=volts) == cells


def test_no_cell_count_for_an_unknown_chemistry():
    assert cells_in_series(chemistry="unknown", nominal_voltage_v=48) is None
