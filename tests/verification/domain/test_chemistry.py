"""cell_limits: per-chemistry cell windows and cutoff bands, any case, ValueError otherwise."""

import pytest

from verification.domain.chemistry import CELL_LIMITS, CHEMISTRIES, CellLimits, cell_limits


@pytest.mark.parametrize(
    ("name", "window", "band"),
    [
        ("LFP", (2.0, 3.65), (2.0, 2.8)),
        ("NMC", (2.5, 4.35), (2.5, 3.2)),
        ("NCA", (2.5, 4.35), (2.5, 3.2)),
        ("LMO", (2.5, 4.3), (2.5, 3.2)),
        ("LTO", (1.5, 2.8), (1.5, 2.0)),
        ("unknown", (1.5, 4.35), (1.5, 2.8)),
    ],
)
def test_limits_per_chemistry(name: str, window: tuple, band: tuple) -> None:
    limits = cell_limits(name)
    assert limits == CellLimits(name, window, band)
    assert limits.cutoff_ceiling_v == band[1]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("lfp", "LFP"),
        (" nmc ", "NMC"),
        ("Nca", "NCA"),
        ("UNKNOWN", "unknown"),
        ("Unknown ", "unknown"),
    ],
)
def test_any_case_and_whitespace(given: str, expected: str) -> None:
    assert cell_limits(given).chemistry == expected


def test_none_is_unknown() -> None:
    assert cell_limits(None) is CELL_LIMITS["unknown"]


@pytest.mark.parametrize("bad", ["", "LiPo", "LFP4", "lead-acid"])
def test_unknown_name_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError) as raised:
        cell_limits(bad)
    assert str(raised.value) == (
        f"chemistry must be one of LFP, NMC, NCA, LMO, LTO, unknown; got {bad!r}"
    )


def test_every_chemistry_has_limits_and_a_sane_band() -> None:
    assert set(CHEMISTRIES) == set(CELL_LIMITS)
    for limits in CELL_LIMITS.values():
        low, high = limits.window_v
        band_low, band_high = limits.cutoff_band_v
        assert low == band_low < band_high < high


def test_unknown_cutoff_ceiling_is_below_an_lfp_plateau() -> None:
    # Taking NMC's 3.2 V would pass an LFP discharge stopped on its plateau as complete.
    assert cell_limits("unknown").cutoff_ceiling_v == 2.8 < 3.2
