import io
import statistics

import pytest

from tests.verification.oracles import open_canonical_csv, summarise_cycles
from verification.domain import (
    CANONICAL_COLUMNS,
    soh_pct,
    synthetic_cycling_csv,
    synthetic_cycling_lines,
)
from verification.domain.canonical_fast import read_canonical
from verification.domain.figures import compute_figures

WINDOWS = {"LFP": (2.5, 3.65), "NMC": (3.0, 4.2), "NCA": (3.0, 4.2), "LMO": (3.0, 4.2)}
WINDOWS |= {"LTO": (1.5, 2.8), "unknown": (3.0, 4.2)}


def rows(**kwargs) -> list:
    return list(open_canonical_csv(io.BytesIO(synthetic_cycling_csv(**kwargs).encode())))


def measured_soh(nominal: float, **kwargs) -> float:
    text = synthetic_cycling_csv(nominal_capacity_ah=nominal, **kwargs)
    result = summarise_cycles(open_canonical_csv(io.BytesIO(text.encode())))
    return soh_pct(measured_capacity_ah=result.discharge_capacity_ah, nominal_capacity_ah=nominal)


@pytest.mark.parametrize("chemistry", ["LFP", "NMC"])
@pytest.mark.parametrize("soh", [95, 70, 45, 15])
def test_measured_soh_matches_the_requested_soh(chemistry: str, soh: float) -> None:
    got = measured_soh(100, chemistry=chemistry, cells_series=16, soh_pct=soh)
    assert got == pytest.approx(soh, abs=0.5)


@pytest.mark.parametrize(
    ("chemistry", "nominal", "series", "c_rate", "interval"),
    [
        ("LTO", 20, 10, 1.0, 5.0),
        ("NCA", 3.0, 1, 0.2, 30.0),  # a single cell
        ("LFP", 280, 200, 0.33, 60.0),  # a 640 V storage string
        ("LMO", 60, 96, 1.0, 1.0),
        ("mystery", 40, 24, 2.0, 2.0),
    ],
)
def test_measured_soh_holds_across_sizes_and_rates(
    chemistry: str, nominal: float, series: int, c_rate: float, interval: float
) -> None:
    got = measured_soh(
        nominal,
        chemistry=chemistry,
        cells_series=series,
        soh_pct=82,
        c_rate=c_rate,
        sample_interval_s=interval,
    )
    assert got == pytest.approx(82, abs=0.5)


def test_lines_are_canonical_csv() -> None:
    lines = list(
        synthetic_cycling_lines(chemistry="LFP", nominal_capacity_ah=10, cells_series=4, soh_pct=90)
    )
    assert lines[0] == "time_s,current_a,voltage_v,temperature_c,cycle,step\n"
    assert set(CANONICAL_COLUMNS) <= set(lines[0].strip().split(","))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert synthetic_cycling_csv(
        chemistry="LFP", nominal_capacity_ah=10, cells_series=4, soh_pct=90
    ) == "".join(lines)


@pytest.mark.parametrize("chemistry", sorted(WINDOWS))
def test_cell_voltage_stays_in_the_chemistry_window(chemistry: str) -> None:
    low, high = WINDOWS[chemistry]
    samples = rows(chemistry=chemistry, nominal_capacity_ah=50, cells_series=8, soh_pct=60)
    cell = [s.voltage_v / 8 for s in samples]
    assert low - 0.01 <= min(cell) and max(cell) <= high + 0.01
    discharge = [s for s in samples if s.current_a < 0]
    # The discharge runs from near the top to the lower cut-off.
    assert discharge[-1].voltage_v / 8 == pytest.approx(low, abs=0.01)
    assert discharge[0].voltage_v / 8 > high - 0.1


def test_lfp_is_flat_and_nmc_is_sloped() -> None:
    def discharge_cell_voltages(chemistry: str) -> list[float]:
        samples = rows(chemistry=chemistry, nominal_capacity_ah=100, cells_series=1, soh_pct=100)
        return [s.voltage_v for s in samples if s.current_a < 0 and s.cycle == 1]

    lfp = discharge_cell_voltages("LFP")
    middle = lfp[len(lfp) // 5 : len(lfp) * 4 // 5]
    assert min(middle) >= 3.15
    assert max(middle) <= 3.35
    assert 3.2 <= statistics.median(lfp) <= 3.35
    nmc = discharge_cell_voltages("NMC")
    middle = nmc[len(nmc) // 5 : len(nmc) * 4 // 5]
    assert max(middle) - min(middle) > 0.3


def test_each_cycle_is_charge_rest_discharge_rest() -> None:
    samples = rows(chemistry="NMC", nominal_capacity_ah=10, cells_series=3, soh_pct=75, cycles=3)
    assert sorted({s.cycle for s in samples}) == [1, 2, 3]
    steps = []
    for s in samples:
        kind = "charge" if s.current_a > 0 else "discharge" if s.current_a < 0 else "rest"
        if not steps or steps[-1] != kind:
            steps.append(kind)
    assert steps == ["charge", "rest", "discharge", "rest"] * 3
    rests = [s for s in samples if s.step == 3 and s.cycle == 1]
    assert rests[-1].time_s - rests[0].time_s == pytest.approx(1800)
    times = [s.time_s for s in samples]
    assert times == sorted(times)


def test_temperature_rises_during_discharge() -> None:
    samples = rows(
        chemistry="LFP", nominal_capacity_ah=100, cells_series=16, soh_pct=90, temperature_c=15
    )
    discharge = [s.temperature_c for s in samples if s.current_a < 0 and s.cycle == 1]
    assert discharge[-1] > discharge[0] + 1
    assert 15 < max(discharge) < 25
    assert samples[0].temperature_c == pytest.approx(15, abs=0.3)


def test_higher_resistance_sags_more_under_load() -> None:
    def first_discharge_voltage(resistance_mohm: float) -> float:
        samples = rows(
            chemistry="NMC",
            nominal_capacity_ah=100,
            cells_series=10,
            soh_pct=80,
            resistance_mohm=resistance_mohm,
        )
        return next(s.voltage_v for s in samples if s.current_a < 0)

    assert first_discharge_voltage(5) - first_discharge_voltage(50) == pytest.approx(
        50 * 0.045, abs=0.05
    )


def test_seeded_and_deterministic() -> None:
    kwargs = {"chemistry": "LFP", "nominal_capacity_ah": 10, "cells_series": 4, "soh_pct": 90}
    assert synthetic_cycling_csv(**kwargs) == synthetic_cycling_csv(**kwargs)
    assert synthetic_cycling_csv(**kwargs, seed=1) != synthetic_cycling_csv(**kwargs)


def test_unknown_chemistry_behaves_like_nmc() -> None:
    kwargs = {"nominal_capacity_ah": 10, "cells_series": 4, "soh_pct": 90}
    assert synthetic_cycling_csv(chemistry="unknown", **kwargs) == synthetic_cycling_csv(
        chemistry="NMC", **kwargs
    )
    assert synthetic_cycling_csv(chemistry="lfp", **kwargs) == synthetic_cycling_csv(
        chemistry="LFP", **kwargs
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"nominal_capacity_ah": 0},
        {"cells_series": 0},
        {"soh_pct": 0},
        {"soh_pct": 200},
        {"cycles": 0},
        {"c_rate": 0},
        {"sample_interval_s": 0},
        {"resistance_mohm": -1},
        {"resistance_mohm": 10_000},
        {"resistance_mohm": float("nan")},
        {"temperature_c": float("nan")},
    ],
)
def test_invalid_arguments_fail_before_any_line_is_made(bad: dict) -> None:
    kwargs = {"chemistry": "NMC", "nominal_capacity_ah": 10, "cells_series": 4, "soh_pct": 90}
    with pytest.raises(ValueError):
        synthetic_cycling_lines(**(kwargs | bad))


def test_cell_voltages_add_up_and_one_cell_sags_at_the_end_of_discharge() -> None:
    text = synthetic_cycling_csv(
        chemistry="NMC", nominal_capacity_ah=94, cells_series=12, soh_pct=86, cell_voltages=True
    )
    header, *rows = text.splitlines()
    names = header.split(",")
    cells = [names.index(f"cell_{i}_v") for i in range(1, 13)]
    parsed = [[float(x) for x in row.split(",")] for row in rows]
    for row in parsed:
        # Pack voltage and the sum of its cells agree within the 0.1 mV rounding of each.
        assert sum(row[i] for i in cells) == pytest.approx(row[names.index("voltage_v")], abs=2e-3)
    ends = [
        n for n in range(len(parsed) - 1) if parsed[n][5] == 4 and parsed[n + 1][5] != 4
    ]  # the last sample of each discharge (step 4)
    for n in ends:
        volts = [parsed[n][i] for i in cells]
        assert max(volts) - min(volts) > 0.1
    lowest = {min(range(12), key=lambda k: parsed[n][cells[k]]) for n in ends}
    assert len(lowest) == 1, "the same cell is the weakest every cycle"
    figures = compute_figures(read_canonical(io.BytesIO(text.encode())), nominal_capacity_ah=94)
    assert figures.weakest_cell["index"] == lowest.pop() + 1
    assert figures.cell_spread_mv > 100
    plain = synthetic_cycling_csv(
        chemistry="NMC", nominal_capacity_ah=94, cells_series=12, soh_pct=86
    )
    assert "cell_1_v" not in plain.splitlines()[0]
