"""Figures by hand, against metrics.py, across batch boundaries, and in bounded memory."""

import io
import itertools
import json
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.verification.oracles import open_canonical_csv, summarise_cycles
from verification.domain import TestDataError, synthetic_cycling_csv, synthetic_cycling_lines
from verification.domain.canonical_fast import read_canonical
from verification.domain.figures import Figures, compute_figures
from verification.domain.testdata import BmsSnapshot, TestData

KEYS = {
    "format",
    "units",
    "cycles",
    "discharge_capacity_ah",
    "cycle_used",
    "soh_pct",
    "soh_definition",
    "soh_basis",
    "soh_by_definition",
    "bms_soh_pct",
    "dcir",
    "dcir_summary",
    "cell_spread_mv",
    "max_cell_spread_mv",
    "weakest_cell",
    "capacity_fade_pct_per_100_cycles",
    "self_discharge_mv_per_day",
    "sample_count",
    "curves",
    "warnings",
    "capacity_test",
    "counter_check",
    "fingerprint",
    "voltage_range_v",
    "peak_discharge_current_a",
    "rest_threshold_a",
}
CYCLE_KEYS = {
    "cycle",
    "charge_capacity_ah",
    "discharge_capacity_ah",
    "charge_energy_wh",
    "discharge_energy_wh",
    "mean_discharge_current_a",
    "c_rate",
    "min_voltage_v",
    "max_temperature_c",
}
FUZZ = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def figures(data: str | bytes, batch_rows: int = 250_000, **kwargs: object) -> Figures:
    raw = data.encode() if isinstance(data, str) else data
    kwargs.setdefault("nominal_capacity_ah", 50.0)
    return compute_figures(read_canonical(io.BytesIO(raw), batch_rows=batch_rows), **kwargs)


def csv_text(rows: list[tuple], extra: str = "") -> str:
    """rows of (time_s, current_a, voltage_v, cycle, step, *extra columns)"""
    header = "time_s,current_a,voltage_v,cycle,step" + extra
    return "\n".join([header, *(",".join(map(repr, row)) for row in rows)]) + "\n"


def assert_close(a: object, b: object, rel: float = 1e-9) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_close(a[key], b[key], rel)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_close(x, y, rel)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=rel, abs=1e-12)
    else:
        assert a == b


# ---- capacity, energy and the SOH cycle ---------------------------------------------------

# test_metrics.py's TINY: 1 Ah / 3.4 Wh charge, 1.75 Ah / 5.6 Wh discharge by hand.
TINY = [
    (0, 1.0, 3.3, 1, 1),
    (3600, 1.0, 3.5, 1, 1),
    (3600, 0.0, 3.45, 1, 2),
    (3600, -2.0, 3.3, 1, 3),
    (5400, -2.0, 3.2, 1, 3),
    (7200, -1.0, 3.0, 1, 3),
    (7200, 0.0, 3.1, 1, 4),
]
# TINY is too short to show a knee; it ends at 3.0 V, below one NMC cell's cutoff (3.2 V), so
# with the pack's cutoff known it is a complete capacity test.
ONE_NMC_CELL = {"cells_series": 1, "chemistry": "NMC"}


def test_hand_computed_trapezoid() -> None:
    result = figures(csv_text(TINY), **ONE_NMC_CELL, nominal_capacity_ah=2.0)
    (cycle,) = result.cycles
    assert cycle.charge_capacity_ah == pytest.approx(1.0, rel=1e-12)
    assert cycle.charge_energy_wh == pytest.approx(3.4, rel=1e-12)
    assert cycle.discharge_capacity_ah == pytest.approx(1.75, rel=1e-12)
    assert cycle.discharge_energy_wh == pytest.approx(5.6, rel=1e-12)
    assert cycle.mean_discharge_current_a == pytest.approx(1.75, rel=1e-12)
    assert cycle.c_rate == pytest.approx(0.875, rel=1e-12)
    assert cycle.min_voltage_v == 3.0 and cycle.max_temperature_c is None
    assert result.soh_pct == pytest.approx(87.5, rel=1e-12)
    assert result.cycle_used == 1 and result.sample_count == 7
    curve = result.curves["voltage_vs_capacity"]
    assert curve == [[0.0, 3.3], [1.0, 3.2], [pytest.approx(1.75), 3.0]]


def test_to_dict_has_exactly_the_documented_keys_and_is_json() -> None:
    text = synthetic_cycling_csv(
        chemistry="LFP", nominal_capacity_ah=20, cells_series=4, soh_pct=80, sample_interval_s=60
    )
    result = figures(text, nominal_capacity_ah=20).to_dict()
    assert set(result) == KEYS
    assert all(set(row) == CYCLE_KEYS for row in result["cycles"])
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    assert set(result["soh_basis"]) >= {"test_type", "cycle_used", "c_rate", "max_temperature_c"}
    assert result["soh_basis"]["test_type"] == "full capacity discharge"


@pytest.mark.parametrize(("chemistry", "soh"), [("LFP", 80), ("NMC", 93), ("LTO", 55)])
def test_agrees_with_metrics_py(chemistry: str, soh: float) -> None:
    text = synthetic_cycling_csv(
        chemistry=chemistry,
        nominal_capacity_ah=40,
        cells_series=8,
        soh_pct=soh,
        cycles=3,
        sample_interval_s=30,
    )
    reference = summarise_cycles(open_canonical_csv(io.BytesIO(text.encode())))
    result = figures(text, batch_rows=1000, nominal_capacity_ah=40)
    assert result.cycle_used == reference.cycle_used
    assert result.discharge_capacity_ah == pytest.approx(reference.discharge_capacity_ah, 1e-12)
    for ours, theirs in zip(result.cycles, reference.cycles, strict=True):
        for key, value in theirs.to_dict().items():
            assert getattr(ours, key) == pytest.approx(value, rel=1e-12)
    assert result.soh_pct == pytest.approx(soh, abs=0.05)
    used = next(c for c in result.cycles if c.cycle == result.cycle_used)
    assert result.soh_basis["max_temperature_c"] == used.max_temperature_c
    assert max(c.max_temperature_c for c in result.cycles) == reference.max_temperature_c


def test_energy_soh_needs_the_nominal_energy() -> None:
    result = figures(
        csv_text(TINY),
        **ONE_NMC_CELL,
        nominal_capacity_ah=2.0,
        nominal_energy_wh=7.0,
        soh_definition="energy",
    )
    assert result.soh_pct == pytest.approx(5.6 / 7.0 * 100, rel=1e-12)
    assert result.soh_definition == "energy" and result.soh_basis["unit"] == "Wh"
    assert result.discharge_capacity_ah == pytest.approx(1.75)
    # Both definitions are kept side by side: the same pack, two different numbers.
    assert result.soh_by_definition == {
        "capacity": pytest.approx(1.75 / 2.0 * 100, rel=1e-12),
        "energy": pytest.approx(5.6 / 7.0 * 100, rel=1e-12),
    }
    by_capacity = figures(
        csv_text(TINY), **ONE_NMC_CELL, nominal_capacity_ah=2.0, nominal_energy_wh=7.0
    )
    assert by_capacity.soh_pct == pytest.approx(87.5, rel=1e-12)
    assert by_capacity.soh_by_definition == result.soh_by_definition
    no_energy = figures(csv_text(TINY), **ONE_NMC_CELL, nominal_capacity_ah=2.0).soh_by_definition
    assert no_energy["energy"] is None
    with pytest.raises(TestDataError, match="nominal energy"):
        figures(csv_text(TINY), **ONE_NMC_CELL, soh_definition="energy")
    with pytest.raises(ValueError, match="soh_definition"):
        figures(csv_text(TINY), **ONE_NMC_CELL, soh_definition="power")
    with pytest.raises(ValueError, match="nominal_capacity_ah"):
        figures(csv_text(TINY), **ONE_NMC_CELL, nominal_capacity_ah=0.0)


def synthetic_lines(**kwargs: object) -> list[str]:
    kwargs = {
        "chemistry": "NMC",
        "nominal_capacity_ah": 50,
        "cells_series": 12,
        "soh_pct": 85,
        "sample_interval_s": 30,
        **kwargs,
    }
    return list(synthetic_cycling_lines(**kwargs))


def test_a_truncated_final_cycle_is_skipped_with_a_warning() -> None:
    lines = synthetic_lines(cycles=3)
    last_discharge = [i for i, line in enumerate(lines) if line.endswith(",3,4\n")]
    cut = last_discharge[len(last_discharge) // 2]
    result = figures("".join(lines[:cut]))
    assert result.cycle_used == 2
    assert any(
        w.startswith("cycle 3's discharge (") and "still running at the file's last sample" in w
        for w in result.warnings
    )
    assert result.capacity_test["complete"] and result.capacity_test["cycle"] == 2


def test_a_stalled_cycle_counter_is_re_derived_from_the_current() -> None:
    lines = synthetic_lines(cycles=3)
    stalled = [lines[0]] + [
        ",".join([*line.split(",")[:4], "1", line.split(",")[5]]) for line in lines[1:]
    ]
    good = figures("".join(lines))
    result = figures("".join(stalled), batch_rows=500)
    assert [c.cycle for c in result.cycles] == [1, 2, 3]
    assert_close(
        [c.discharge_capacity_ah for c in result.cycles],
        [c.discharge_capacity_ah for c in good.cycles],
    )
    assert result.cycle_used == 3
    assert any("re-derived from the current" in w for w in result.warnings)
    assert [d.cycle for d in result.dcir] == [d.cycle for d in good.dcir]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(0, 1.0, 3.3, 1, 1), (10, 1.0, 3.4, 1, 1)], "no discharge found: the canonical CSV"),
        (
            [(0, 1.0, 3.3, 1, 1), (10, -1.0, 3.4, 1, 1), (20, 1.0, 3.4, 1, 1)],
            "no discharge found: negative current appears only in isolated samples",
        ),
        ([(0, -1.0, 3.3, 1, 1)], "at least two samples are needed"),
    ],
)
def test_no_discharge(rows: list[tuple], message: str) -> None:
    with pytest.raises(TestDataError, match=message):
        figures(csv_text(rows))


def test_time_going_backwards_in_a_batch_from_another_reader() -> None:
    batch = {
        "time_s": np.array([0.0, 10.0, 5.0]),
        "current_a": np.array([-1.0, -1.0, -1.0]),
        "voltage_v": np.array([3.3, 3.2, 3.1]),
        "cycle": np.array([1, 1, 1]),
        "step": np.array([1, 1, 1]),
    }
    data = TestData("arbin_csv", {}, lambda: iter([batch]))
    with pytest.raises(TestDataError, match=r"sample 3: time goes backwards \(5.0 after 10.0\)"):
        compute_figures(data, nominal_capacity_ah=1.0)


# ---- DCIR ----------------------------------------------------------------------------------

R_OHM = 0.025  # the pack: V = 50 V at rest, and drops by exactly I * R under current


def pulse_rows(
    start: float, amps: float, seconds: float, interval: float, step: int, delay: float = 0.0
) -> list[tuple]:
    count = round(seconds / interval)
    return [
        (start + delay + k * interval, amps, 50.0 + amps * R_OHM, 1, step) for k in range(count + 1)
    ]


def rest_rows(start: float, seconds: float, interval: float, step: int) -> list[tuple]:
    return [
        (start + k * interval, 0.0, 50.0, 1, step) for k in range(round(seconds / interval) + 1)
    ]


def hppc_csv() -> str:
    rows = rest_rows(0, 60, 1, 1)
    rows += pulse_rows(60, -100.0, 30, 0.5, 2)  # first sample at the rest's last time stamp
    rows += rest_rows(90.5, 60, 1, 3)
    rows += pulse_rows(150.5, 50.0, 30, 0.5, 4, delay=0.1)  # an instrument 100 ms late
    rows += rest_rows(181, 60, 5, 5)  # slow logging in this rest
    rows += pulse_rows(241, -100.0, 30, 0.5, 6, delay=4)  # 1 s too sparse, 10 s fine
    rows += rest_rows(275.5, 20, 1, 7)
    rows += pulse_rows(296, -100.0, 5, 0.5, 8)  # too short for 10 s
    rows += rest_rows(301.5, 20, 1, 9)
    rows += pulse_rows(322, -1.0, 30, 0.5, 10)  # 1 % of the largest current: not a step
    rows += rest_rows(352.5, 20, 1, 11)
    capacity = pulse_rows(373, -50.0, 3600, 1, 12)  # then the capacity test: 50 Ah
    for k, row in enumerate(capacity[-60:]):  # ending in a knee down to the cutoff
        capacity[len(capacity) - 60 + k] = (*row[:2], row[2] - 0.1 * (k + 1), *row[3:])
    return csv_text(rows + capacity)


def test_dcir_by_hand() -> None:
    result = figures(hppc_csv(), baseline_resistance_mohm=20.0)
    found = [(d.step, d.duration_s) for d in result.dcir]
    assert found == [
        (2, 1.0),
        (2, 10.0),
        (4, 1.0),
        (4, 10.0),
        (6, 10.0),
        (8, 1.0),
        (12, 1.0),
        (12, 10.0),
    ]
    for entry in result.dcir:
        assert entry.resistance_mohm == pytest.approx(25.0, abs=0.1)
        assert entry.ratio_to_baseline == pytest.approx(1.25, abs=0.01)
        assert entry.cycle == 1
    assert result.dcir[0].time_s == 60.0 and result.dcir[0].current_step_a == -100.0
    assert result.dcir[2].time_s == pytest.approx(150.6)
    assert result.soh_pct == pytest.approx((50 + (3000 + 3000 + 500 + 30) / 3600) / 50 * 100)
    assert (
        "cycle 1 holds 2 discharges separated by charging; its discharge capacity adds them up"
        in result.warnings
    )
    assert result.dcir_summary == {"1": pytest.approx(25.0), "10": pytest.approx(25.0)}
    skipped = [w for w in result.warnings if w.startswith("DCIR not measured")]
    assert skipped == [
        "DCIR not measured where the step ended before the pulse length: 10 s for 1 step(s)",
        "DCIR not measured where samples around the step are further apart than the pulse "
        "length: 1 s for 1 step(s)",
    ]


def test_dcir_survives_any_batch_boundary() -> None:
    whole = figures(hppc_csv()).to_dict()
    for rows in (1, 2, 3, 7, 50):
        assert_close(whole, figures(hppc_csv(), batch_rows=rows).to_dict())


def test_dcir_on_synthetic_data_without_baseline() -> None:
    text = synthetic_cycling_csv(
        chemistry="LFP",
        nominal_capacity_ah=100,
        cells_series=16,
        soh_pct=90,
        cycles=1,
        sample_interval_s=1,
        resistance_mohm=40,
    )
    result = figures(text, nominal_capacity_ah=100)
    at_1s = [d for d in result.dcir if d.duration_s == 1.0]
    assert at_1s and all(d.ratio_to_baseline is None for d in at_1s)
    discharge = next(d for d in at_1s if d.current_step_a < 0)
    assert discharge.resistance_mohm == pytest.approx(40, rel=0.03)


# ---- cells, fade, self-discharge -------------------------------------------------------------


def test_cell_spread_and_weakest_cell() -> None:
    rows = []
    for k in range(61):  # 1 h discharge at 10 A; cell 3 sags most
        sag = k / 60
        cells = (3.00 - 0.2 * sag, 3.01 - 0.2 * sag, 2.99 - 0.35 * sag, 3.00 - 0.2 * sag)
        rows.append((k * 60.0, -10.0, sum(cells), 1, 1, *cells))
    rows.append((3660.0, 0.0, 11.5, 1, 2, 2.87, 2.88, 2.85, float("nan")))
    text = csv_text(rows, extra=",cell_1_v,cell_2_v,cell_3_v,cell_4_v").replace("nan", "")
    for batch_rows in (250_000, 4):
        # Ends at 11.06 V, below four LFP cells' cutoff (2.8 V each): a complete test.
        result = figures(
            text, batch_rows=batch_rows, nominal_capacity_ah=12.5, cells_series=4, chemistry="LFP"
        )
        assert result.cell_spread_mv == pytest.approx((2.81 - 2.64) * 1000)
        assert result.max_cell_spread_mv == pytest.approx((2.81 - 2.64) * 1000)
        assert result.weakest_cell == {
            "index": 3,
            "voltage_v": pytest.approx(2.64),
            "soh_pct": pytest.approx(80.0),
        }
    assert figures(csv_text(TINY), **ONE_NMC_CELL, nominal_capacity_ah=2).weakest_cell is None


def test_capacity_fade_on_a_multi_cycle_file() -> None:
    lines, offset = ["time_s,current_a,voltage_v,temperature_c,cycle,step\n"], 0.0
    for number, soh in enumerate((90, 89.5, 89, 88.5, 88), start=1):
        for line in synthetic_lines(cycles=1, soh_pct=soh, seed=number)[1:]:
            t, i, v, temp, _, step = line.split(",")
            lines.append(f"{float(t) + offset!r},{i},{v},{temp},{number},{step}")
        offset += float(t) + 1
    result = figures("".join(lines))
    # capacity falls 0.25 Ah a cycle from 45 Ah: 0.25 * 100 / 45 * 100 % per 100 cycles
    assert result.capacity_fade_pct_per_100_cycles == pytest.approx(55.56, rel=2e-3)
    assert figures("".join(synthetic_lines(cycles=2))).capacity_fade_pct_per_100_cycles is None


def joined_cycles(plan: list[tuple[float, float]]) -> str:
    """One synthetic cycle per (soh_pct, c_rate), numbered from 1, one after the other."""
    lines, offset = ["time_s,current_a,voltage_v,temperature_c,cycle,step\n"], 0.0
    for number, (soh, c_rate) in enumerate(plan, start=1):
        for line in synthetic_lines(cycles=1, soh_pct=soh, c_rate=c_rate, seed=number)[1:]:
            t, i, v, temp, _, step = line.split(",")
            lines.append(f"{float(t) + offset!r},{i},{v},{temp},{number},{step}")
        offset += float(t) + 1
    return "".join(lines)


def test_soh_is_read_at_the_slowest_rate_and_fade_over_the_ageing_rate() -> None:
    # 1C ageing cycles with a C/10 capacity check-up in the middle: the check-up is the SOH,
    # the 1C cycles (the most numerous rate) give the fade, and neither mixes with the other.
    plan = [(88, 1.0), (87.5, 1.0), (87, 1.0), (89, 0.1), (86.5, 1.0), (86, 1.0)]
    result = figures(joined_cycles(plan), batch_rows=997)
    assert result.cycle_used == 4
    assert result.soh_pct == pytest.approx(89, abs=0.3)
    assert result.soh_basis["c_rate"] == pytest.approx(0.1, rel=0.05)
    assert result.curves["voltage_vs_capacity"], "the chosen check-up keeps its voltage curve"
    assert result.curves["voltage_vs_capacity"][-1][0] == pytest.approx(
        result.discharge_capacity_ah, rel=1e-6
    )
    assert any(
        "2 later full discharge(s) at a higher rate (cycles 5, 6)" in w for w in result.warnings
    )
    # 1C capacity falls 0.25 Ah a cycle from 44 Ah over cycles 1, 2, 3, 5, 6
    ageing = [c.discharge_capacity_ah for c in result.cycles if c.cycle != 4]
    x = np.array([1, 2, 3, 5, 6], dtype=float)
    slope = np.polyfit(x, ageing, 1)[0]
    assert result.capacity_fade_pct_per_100_cycles == pytest.approx(
        -slope * 1e4 / ageing[0], rel=1e-6
    )


def test_a_file_that_mostly_charges_warns_about_the_current_sign() -> None:
    rows = [
        (0, 5.0, 3.3, 1, 1),
        (3600, 5.0, 3.5, 1, 1),
        (3601, -0.5, 3.4, 1, 2),
        (3700, -0.5, 3.3, 1, 2),
    ]
    result = figures(csv_text(rows))
    assert any("the current's sign may be reversed" in w for w in result.warnings)
    balanced = figures(joined_cycles([(88, 0.5)]))
    assert not any("sign may be reversed" in w for w in balanced.warnings)


def relaxing_rest(start_s: float, hours: float, step: int, v0: float, slope_v_per_s: float) -> list:
    """A rest sampled every 10 min: a relaxation that dies away, then a steady slope."""
    return [
        (start_s + k * 600.0, 0.0, v0 + 0.3 * math.exp(-k) + slope_v_per_s * k * 600, 1, step)
        for k in range(1, int(hours * 6))
    ]


def test_self_discharge_from_the_longest_rest_after_a_charge() -> None:
    loses_12_mv_a_day = -0.012 / 86400
    rows = [(k * 60.0, 10.0, 52.0, 1, 1) for k in range(31)]  # charge
    rows += relaxing_rest(1800.0, 5, 2, 53.0, loses_12_mv_a_day)  # under 6 h: not used
    rows.append((1800.0 + 5 * 3600, 10.0, 52.0, 1, 3))  # charge
    start = 1860.0 + 5 * 3600
    rows += relaxing_rest(start, 48, 4, 53.0, loses_12_mv_a_day)
    rows += [(start + 48 * 3600 + k * 60.0, -10.0, 50.0, 1, 5) for k in range(31)]  # discharge
    start += 48 * 3600 + 1860
    # A longer rest after the discharge: the voltage climbs back, and must not be read as a
    # negative self-discharge.
    rows += relaxing_rest(start, 72, 6, 49.0, 0.05 / 86400)
    for batch_rows in (250_000, 13):
        result = figures(csv_text(rows), batch_rows=batch_rows)
        assert result.self_discharge_mv_per_day == pytest.approx(12.0, abs=0.01)
    assert (
        figures(csv_text(TINY), **ONE_NMC_CELL, nominal_capacity_ah=2).self_discharge_mv_per_day
        is None
    )


# ---- BMS snapshot ------------------------------------------------------------------------------


def test_bms_snapshot_reports_cells_but_measures_no_soh() -> None:
    snapshot = BmsSnapshot((3.31, 3.29, 3.35, 3.30), (24.0, 26.5), cycle_count=812, bms_soh_pct=91)
    data = TestData("bms_snapshot", {"voltage": "V"}, lambda: iter(()), snapshot=snapshot)
    result = compute_figures(data, nominal_capacity_ah=100).to_dict()
    assert set(result) == KEYS
    assert result["soh_pct"] is None and result["discharge_capacity_ah"] is None
    assert result["bms_soh_pct"] == 91
    assert "not measured" in result["soh_basis"]["test_type"]
    assert result["soh_basis"]["max_temperature_c"] == 26.5
    assert result["cell_spread_mv"] == pytest.approx(60.0)
    assert result["weakest_cell"] == {"index": 2, "voltage_v": 3.29, "soh_pct": None}
    assert any("reported, not measured" in w for w in result["warnings"])


# ---- batches, memory, robustness -----------------------------------------------------------


def test_batch_rows_7_gives_the_same_figures_as_one_batch() -> None:
    text = synthetic_cycling_csv(
        chemistry="NMC",
        nominal_capacity_ah=50,
        cells_series=12,
        soh_pct=85,
        cycles=2,
        sample_interval_s=5,
        resistance_mohm=30,
    )
    one = figures(text, batch_rows=250_000, baseline_resistance_mohm=20).to_dict()
    assert_close(one, figures(text, batch_rows=7, baseline_resistance_mohm=20).to_dict())
    assert one["dcir"] and one["curves"]["voltage_vs_capacity"]


def test_curves_are_bounded() -> None:
    text = synthetic_cycling_csv(
        chemistry="NMC",
        nominal_capacity_ah=50,
        cells_series=12,
        soh_pct=85,
        cycles=2,
        sample_interval_s=1,
    )
    result = figures(text, batch_rows=3001)
    curve = result.curves["voltage_vs_capacity"]
    assert 400 <= len(curve) <= 500
    assert curve[-1][0] == pytest.approx(result.discharge_capacity_ah, rel=1e-9)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(curve))
    assert result.curves["capacity_per_cycle"] == [
        [c.cycle, c.discharge_capacity_ah] for c in result.cycles
    ]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    lines = synthetic_cycling_lines(
        chemistry="NMC",
        nominal_capacity_ah=50,
        cells_series=12,
        soh_pct=85,
        cycles=19,
        sample_interval_s=1,
    )
    with open(path, "w") as out:
        out.writelines(lines)
    return str(path)


def test_memory_stays_bounded_on_300k_rows(big_file: str) -> None:
    with open(big_file, "rb") as stream:
        tracemalloc.start()
        try:
            result = compute_figures(read_canonical(stream), nominal_capacity_ah=50)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.sample_count > 300_000
    assert peak < 50 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"


VALID = synthetic_cycling_csv(
    chemistry="LFP", nominal_capacity_ah=20, cells_series=4, soh_pct=80, sample_interval_s=600
).encode()


def outcome(data: bytes) -> dict | None:
    try:
        result = figures(
            data, batch_rows=17, nominal_capacity_ah=20, cells_series=4, chemistry="LFP"
        ).to_dict()
    except TestDataError as err:
        assert str(err)
        return None
    json.dumps(result, allow_nan=False)
    complete = result["capacity_test"]["complete"]
    assert (result["discharge_capacity_ah"] or 0) > 0 if complete else result["soh_pct"] is None
    return result


def test_the_valid_file_measures() -> None:
    assert outcome(VALID) is not None


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    outcome(data)


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID)))
def test_fuzz_truncated(cut: int) -> None:
    outcome(VALID[:cut])


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.binary(min_size=1, max_size=3))
def test_fuzz_corrupted(at: int, junk: bytes) -> None:
    outcome(VALID[:at] + junk + VALID[at + len(junk) :])


def test_nominal_figures_may_be_decimals_from_the_database() -> None:
    from decimal import Decimal

    result = figures(csv_text(TINY), **ONE_NMC_CELL, nominal_capacity_ah=Decimal("2.0"))
    assert result.soh_pct == pytest.approx(87.5, rel=1e-12)
    assert result.soh_basis["nominal"] == 2.0


SMALL_PACK_CSV = synthetic_cycling_csv(
    chemistry="LFP", nominal_capacity_ah=2.0, cells_series=4, soh_pct=88, cycles=3,
    sample_interval_s=20.0, step_detail_s=12.0,
)  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(nominal_ah=st.floats(min_value=1e-4, max_value=1e4, allow_nan=False))
def test_no_measured_figure_depends_on_the_nominal(nominal_ah: float) -> None:
    """The nominal only turns Ah into SOH: capacities, cycles, the cycle used and the capacity
    test's verdict are the same whatever the nominal (or a claim) says."""
    base = figures(SMALL_PACK_CSV, nominal_capacity_ah=2.0, cells_series=4, chemistry="LFP")
    other = figures(SMALL_PACK_CSV, nominal_capacity_ah=nominal_ah, cells_series=4, chemistry="LFP")
    keys = ("cycle", "charge_capacity_ah", "discharge_capacity_ah", "discharge_energy_wh")
    assert [tuple(getattr(r, k) for k in keys) for r in other.cycles] == [
        tuple(getattr(r, k) for k in keys) for r in base.cycles
    ]
    assert other.cycle_used == base.cycle_used
    assert other.discharge_capacity_ah == base.discharge_capacity_ah
    assert other.capacity_test == base.capacity_test
    assert other.rest_threshold_a == base.rest_threshold_a
    assert other.fingerprint == base.fingerprint
    assert [d.resistance_mohm for d in other.dcir] == [d.resistance_mohm for d in base.dcir]
    if other.soh_pct is not None:
        assert other.soh_pct == pytest.approx(base.discharge_capacity_ah / nominal_ah * 100)
