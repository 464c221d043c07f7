"""pack_fit: the voltage window, capacity and C-rate checks of a file against its pack model."""

import dataclasses
import functools
import io

import pytest

from verification.domain import synthetic_cycling_csv
from verification.domain.canonical_fast import read_canonical
from verification.domain.evidence import PackFit, PackSpec, pack_fit
from verification.domain.figures import Figures, compute_figures

NMC16 = PackSpec("NMC", 16, 1, 50.0, 59.2)  # window 40.0-69.6 V, with margins 36.0-76.56 V


@functools.cache
def _real() -> Figures:
    csv = synthetic_cycling_csv(
        chemistry="NMC", nominal_capacity_ah=50.0, cells_series=16, soh_pct=80.0, cycles=1,
        sample_interval_s=60,
    )  # fmt: skip
    raw = io.BytesIO(csv.encode())
    return compute_figures(
        read_canonical(raw), nominal_capacity_ah=50.0, cells_series=16, chemistry="NMC"
    )


def fig(
    window: tuple[float, float] | None = (48.0, 67.0),
    discharge_ah: float = 40.0,
    mean_a: float | None = 25.0,
    peak_a: float | None = 25.0,
    cycle_used: int | None = 1,
) -> Figures:
    row = dataclasses.replace(
        _real().cycles[0], discharge_capacity_ah=discharge_ah, mean_discharge_current_a=mean_a
    )
    return dataclasses.replace(
        _real(),
        voltage_range_v=window,
        cycles=(row,),
        cycle_used=cycle_used,
        peak_discharge_current_a=peak_a,
    )


def test_the_real_synthetic_file_fits() -> None:
    assert pack_fit(_real(), NMC16) == PackFit(True, ())


def test_single_cell_test_for_a_pack() -> None:
    result = pack_fit(fig(window=(2.7, 4.2)), NMC16)
    assert result == PackFit(
        False,
        ("this looks like a single-cell test: 2.7-4.2 V against a 16-cell pack's 40.0-69.6 V",),
    )


def test_a_few_cells_in_series() -> None:
    result = pack_fit(fig(window=(24.0, 33.6)), NMC16)
    assert result.reasons == (
        "this looks like a test of about 8 cells in series: 24.0-33.6 V against a 16-cell "
        "pack's 40.0-69.6 V",
    )


@pytest.mark.parametrize(
    ("window", "text"),
    [((30.0, 60.0), "30.0-60.0 V"), ((40.0, 80.0), "40.0-80.0 V")],
)
def test_partly_outside_the_window(window: tuple, text: str) -> None:
    assert pack_fit(fig(window=window), NMC16).reasons == (
        f"the voltage while current flows, {text}, does not fit a 16-cell pack's 40.0-69.6 V",
    )


@pytest.mark.parametrize(
    ("window", "fits"),
    [
        ((36.0, 76.56), True),  # exactly the margins: inclusive
        ((35.99, 60.0), False),
        ((40.0, 76.57), False),
    ],
)
def test_window_margin_boundaries(window: tuple, fits: bool) -> None:
    assert pack_fit(fig(window=window), NMC16).fits is fits


def test_no_voltage_range_skips_the_window() -> None:
    assert pack_fit(fig(window=None), NMC16).fits


def test_cell_test_checks_one_cell() -> None:
    assert pack_fit(fig(window=(2.7, 4.2)), NMC16, test_level="cell").fits
    result = pack_fit(fig(window=(40.0, 60.0)), NMC16, test_level="cell")
    assert result.reasons == (
        "the voltage while current flows, 40.0-60.0 V, does not fit one NMC cell's 2.5-4.35 V",
    )


@pytest.mark.parametrize(("window", "fits"), [((2.25, 4.785), True), ((2.24, 4.0), False)])
def test_cell_margins(window: tuple, fits: bool) -> None:
    assert pack_fit(fig(window=window), NMC16, test_level="cell").fits is fits


def test_module_only_checks_the_top() -> None:
    # A module's voltage is anything up to the pack's, with the margin.
    assert pack_fit(fig(window=(2.0, 76.56)), NMC16, test_level="module").fits
    result = pack_fit(fig(window=(40.0, 80.0)), NMC16, test_level="module")
    assert result.reasons == (
        "the voltage reaches 80.0 V, above the whole pack's 69.6 V: not a module of this pack",
    )


@pytest.mark.parametrize("level", ["cell", "module"])
def test_cell_and_module_skip_capacity_and_rate(level: str) -> None:
    figures = fig(window=(3.0, 4.0), discharge_ah=500.0, mean_a=1e4, peak_a=1e5)
    assert pack_fit(figures, NMC16, test_level=level).fits


@pytest.mark.parametrize("level", ["Pack", "", "cells", "string"])
def test_bad_test_level(level: str) -> None:
    with pytest.raises(ValueError, match=r"^test_level must be one of pack, module, cell$"):
        pack_fit(fig(), NMC16, test_level=level)


def test_bad_chemistry_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="chemistry must be one of"):
        pack_fit(fig(), dataclasses.replace(NMC16, chemistry="LiPo"))


def test_lfp_window() -> None:
    lfp = PackSpec("lfp", 4, 1, 50.0, 12.8)  # 8.0-14.6 V; margins 7.2-16.06 V
    assert pack_fit(fig(window=(7.2, 16.06)), lfp).fits
    assert pack_fit(fig(window=(7.1, 14.0)), lfp).reasons == (
        "the voltage while current flows, 7.1-14.0 V, does not fit a 4-cell pack's 8-14.6 V",
    )


@pytest.mark.parametrize(("ah", "fits"), [(55.0, True), (55.01, False)])
def test_capacity_boundary_is_110_percent(ah: float, fits: bool) -> None:
    assert pack_fit(fig(discharge_ah=ah), NMC16).fits is fits


def test_capacity_message() -> None:
    assert pack_fit(fig(discharge_ah=100.0), NMC16).reasons == (
        "a discharge of 100 Ah is 200% of the pack model's nominal 50 Ah: no used pack delivers "
        "more than 110%; this is another pack's test or a column's unit is wrong",
    )


def test_largest_cycle_counts_not_the_used_one() -> None:
    big = dataclasses.replace(_real().cycles[0], cycle=2, discharge_capacity_ah=60.0)
    figures = dataclasses.replace(fig(), cycles=(fig().cycles[0], big))
    assert pack_fit(figures, NMC16).reasons[0].startswith("a discharge of 60 Ah is 120%")


def test_no_cycles_is_no_capacity_objection() -> None:
    figures = dataclasses.replace(fig(), cycles=(), cycle_used=None)
    assert pack_fit(figures, NMC16).fits


@pytest.mark.parametrize(("mean", "fits"), [(250.0, True), (250.01, False), (None, True)])
def test_mean_c_rate_boundary_is_5c(mean: float | None, fits: bool) -> None:
    assert pack_fit(fig(mean_a=mean), NMC16).fits is fits


def test_mean_c_rate_message() -> None:
    assert pack_fit(fig(mean_a=300.0), NMC16).reasons == (
        "the capacity discharge ran at 300 A on average, 6C for a 50 Ah pack: above 5C no "
        "pack's cells survive a test",
    )


def test_mean_rate_is_read_on_the_cycle_used_only() -> None:
    assert pack_fit(fig(mean_a=300.0, cycle_used=2), NMC16).fits
    assert pack_fit(fig(mean_a=300.0, cycle_used=None), NMC16).fits


@pytest.mark.parametrize(("peak", "fits"), [(1000.0, True), (1000.01, False), (None, True)])
def test_peak_c_rate_boundary_is_20c(peak: float | None, fits: bool) -> None:
    assert pack_fit(fig(peak_a=peak), NMC16).fits is fits


def test_peak_message() -> None:
    assert pack_fit(fig(peak_a=1200.0), NMC16).reasons == (
        "a discharge current of 1200 A is 24C for a 50 Ah pack, above the 20C any pack's cells "
        "survive",
    )


def test_all_reasons_in_order() -> None:
    figures = fig(window=(2.7, 4.2), discharge_ah=100.0, mean_a=300.0, peak_a=1200.0)
    reasons = pack_fit(figures, NMC16).reasons
    assert [r.split(" ")[0:3] for r in reasons] == [
        ["this", "looks", "like"],
        ["a", "discharge", "of"],
        ["the", "capacity", "discharge"],
        ["a", "discharge", "current"],
    ]
