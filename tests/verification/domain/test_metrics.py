import io
import json
import tracemalloc

import pytest

from tests.verification.oracles import CapacityResult, open_canonical_csv, summarise_cycles
from verification.domain import Sample, TestDataError, soh_pct, synthetic_cycling_csv

# One cycle: 1 h charge at 1 A, a step change, then a discharge whose current steps from 2 A to
# 1 A. By hand (trapezoid over pairs that are both charge or both discharge):
#   charge     1.0 Ah,  (1*3.3 + 1*3.5)/2 * 1 h = 3.4 Wh
#   discharge  2 A * 0.5 h + (2+1)/2 A * 0.5 h = 1.75 Ah
#              (2*3.3 + 2*3.2)/2 * 0.5 + (2*3.2 + 1*3.0)/2 * 0.5 = 3.25 + 2.35 = 5.6 Wh
TINY = [
    (0, 1.0, 3.3, 1),
    (3600, 1.0, 3.5, 1),
    (3600, 0.0, 3.45, 2),
    (3600, -2.0, 3.3, 3),
    (5400, -2.0, 3.2, 3),
    (7200, -1.0, 3.0, 3),
    (7200, 0.0, 3.1, 4),
]


def tiny_csv(time: str = "time_s", current: str = "current_a", voltage: str = "voltage_v") -> bytes:
    to_unit = {"time_s": 1, "time_ms": 1000, "time_min": 60, "time_h": 3600}
    i_scale = 1000 if current == "current_ma" else 1
    v_scale = 1000 if voltage == "voltage_mv" else 1
    lines = [f"{time},{current},{voltage},cycle,step"]
    for t, i, v, step in TINY:
        t_in_unit = t * to_unit[time] if time == "time_ms" else t / to_unit[time]
        lines.append(f"{t_in_unit!r},{i * i_scale!r},{v * v_scale!r},1,{step}")
    return ("\n".join(lines) + "\n").encode()


def measure(data: bytes | str) -> CapacityResult:
    raw = data.encode() if isinstance(data, str) else data
    return summarise_cycles(open_canonical_csv(io.BytesIO(raw)))


def samples(*rows: tuple) -> list[Sample]:
    """rows of (time_s, current_a, voltage_v, cycle[, temperature_c])"""
    return [Sample(r[0], r[1], r[2], r[4] if len(r) > 4 else None, r[3], 1) for r in rows]


def test_hand_computed_trapezoid() -> None:
    result = measure(tiny_csv())
    (cycle,) = result.cycles
    assert cycle.cycle == 1
    assert cycle.charge_capacity_ah == pytest.approx(1.0, rel=1e-12)
    assert cycle.charge_energy_wh == pytest.approx(3.4, rel=1e-12)
    assert cycle.discharge_capacity_ah == pytest.approx(1.75, rel=1e-12)
    assert cycle.discharge_energy_wh == pytest.approx(5.6, rel=1e-12)
    assert result.discharge_capacity_ah == cycle.discharge_capacity_ah
    assert result.cycle_used == 1
    assert result.sample_count == 7
    assert result.mean_discharge_current_a == pytest.approx(1.75, rel=1e-12)
    assert result.max_temperature_c is None
    assert result.warnings == ()


@pytest.mark.parametrize(
    "columns",
    [
        ("time_ms", "current_a", "voltage_v"),
        ("time_min", "current_a", "voltage_v"),
        ("time_h", "current_a", "voltage_v"),
        ("time_s", "current_ma", "voltage_v"),
        ("time_s", "current_a", "voltage_mv"),
        ("time_ms", "current_ma", "voltage_mv"),
    ],
)
def test_unit_conversions_give_identical_figures(columns: tuple[str, str, str]) -> None:
    expected = measure(tiny_csv())
    result = measure(tiny_csv(*columns))
    for got, want in zip(result.cycles, expected.cycles, strict=True):
        for key, value in want.to_dict().items():
            assert got.to_dict()[key] == pytest.approx(value, rel=1e-12), key
    assert result.mean_discharge_current_a == pytest.approx(expected.mean_discharge_current_a)


def test_rest_currents_below_the_threshold_are_not_integrated() -> None:
    rows = samples((0, -1e-3, 3.3, 1), (3600, -1e-3, 3.3, 1), (3600, -1, 3.3, 1), (7200, -1, 3, 1))
    assert summarise_cycles(rows).discharge_capacity_ah == pytest.approx(1.0)
    loose = summarise_cycles(rows, rest_threshold_a=1e-4)
    assert loose.discharge_capacity_ah == pytest.approx(1.0 + 1e-3)
    with pytest.raises(ValueError):
        summarise_cycles(rows, rest_threshold_a=-1)


def test_pairs_across_a_cycle_boundary_are_not_integrated() -> None:
    rows = samples((0, -1, 3.3, 1), (3600, -1, 3.2, 1), (7200, -1, 3.1, 2), (10800, -1, 3.0, 2))
    result = summarise_cycles(rows)
    assert [c.discharge_capacity_ah for c in result.cycles] == [1.0, 1.0]
    assert result.cycle_used == 2


def test_max_temperature() -> None:
    rows = samples((0, -1, 3.3, 1, 24.0), (10, -1, 3.3, 1, None), (20, -1, 3.3, 1, 31.5))
    assert summarise_cycles(rows).max_temperature_c == 31.5


def test_truncated_final_cycle_is_skipped_with_a_warning() -> None:
    text = synthetic_cycling_csv(
        chemistry="NMC", nominal_capacity_ah=50, cells_series=12, soh_pct=80, cycles=3
    )
    lines = text.splitlines(keepends=True)
    last_discharge = [i for i, line in enumerate(lines) if line.endswith(",3,4\n")]
    # Cut the file a third of the way into cycle 3's discharge.
    cut = last_discharge[len(last_discharge) // 3]
    result = measure("".join(lines[:cut]))
    assert result.cycle_used == 2
    assert [c.cycle for c in result.cycles] == [1, 2, 3]
    assert result.discharge_capacity_ah == pytest.approx(40, rel=0.005)
    (warning,) = result.warnings
    assert warning.startswith("cycle 3 skipped: its discharge (")
    assert "below 80% of the largest" in warning
    assert "truncated or partial" in warning


def test_the_last_full_cycle_is_used_even_after_a_partial_one() -> None:
    rows = samples(
        (0, -1, 3.3, 1),
        (3600, -1, 3.2, 1),
        (3601, -1, 3.3, 2),
        (4000, -1, 3.2, 2),  # a partial cycle in the middle: nothing to warn about
        (4001, -1, 3.3, 3),
        (7301, -1, 3.2, 3),  # 0.917 Ah: above 80 % of 1 Ah, so it is the one used
    )
    result = summarise_cycles(rows)
    assert result.cycle_used == 3
    assert result.discharge_capacity_ah == pytest.approx(3300 / 3600)
    assert result.warnings == ()


def test_a_cycle_counter_that_does_not_advance_is_flagged() -> None:
    rows = samples(
        (0, -1, 3.3, 1),
        (3600, -1, 3.0, 1),
        (3600, 1, 3.3, 1),
        (7200, 1, 3.5, 1),
        (7200, -1, 3.3, 1),
        (10800, -1, 3.0, 1),
    )
    result = summarise_cycles(rows)
    assert result.discharge_capacity_ah == pytest.approx(2.0)
    assert any("cycle 1 holds 2 discharges separated by charging" in w for w in result.warnings)


def test_several_discharge_steps_separated_by_rests_are_one_discharge() -> None:
    rows = samples((0, -2, 3.3, 1), (1800, -2, 3.1, 1), (1800, 0, 3.2, 1), (2400, 0, 3.2, 1))
    rows += samples((2400, -1, 3.2, 1), (4200, -1, 3.0, 1))
    result = summarise_cycles(rows)
    assert result.discharge_capacity_ah == pytest.approx(1.5)
    assert result.warnings == ()
    assert result.mean_discharge_current_a == pytest.approx(1.5)


def test_no_discharge() -> None:
    text = "time_s,current_a,voltage_v,cycle,step\n0,1,3.3,1,1\n10,1,3.4,1,1\n"
    with pytest.raises(TestDataError) as info:
        measure(text)
    assert str(info.value) == (
        "no discharge found: the canonical CSV records discharge current as negative; "
        "this file has no negative current"
    )


def test_isolated_negative_samples_are_not_a_discharge() -> None:
    rows = samples((0, 1, 3.3, 1), (10, -1, 3.3, 1), (20, 1, 3.4, 1))
    with pytest.raises(TestDataError, match="only in isolated samples"):
        summarise_cycles(rows)


@pytest.mark.parametrize("count", [0, 1])
def test_fewer_than_two_samples(count: int) -> None:
    with pytest.raises(TestDataError, match=f"at least two samples.*found {count}"):
        summarise_cycles(samples((0, -1, 3.3, 1))[:count])


def test_one_data_row_fails_in_the_parser_or_the_metrics() -> None:
    with pytest.raises(TestDataError, match="at least two samples"):
        measure("time_s,current_a,voltage_v,cycle,step\n0,-1,3.3,1,1\n")


def test_samples_going_back_in_time_are_refused() -> None:
    with pytest.raises(TestDataError, match="sample 2: time goes backwards"):
        summarise_cycles(samples((10, -1, 3.3, 1), (0, -1, 3.3, 1)))


def test_figures_that_overflow_are_refused() -> None:
    with pytest.raises(TestDataError, match="overflow"):
        summarise_cycles(samples((0, -5000, 1500, 1), (1e308, -5000, 1500, 1)))


def test_figures_serialise_to_json() -> None:
    result = measure(tiny_csv())
    assert json.loads(json.dumps([c.to_dict() for c in result.cycles])) == [
        {
            "cycle": 1,
            "charge_capacity_ah": pytest.approx(1.0),
            "discharge_capacity_ah": pytest.approx(1.75),
            "charge_energy_wh": pytest.approx(3.4),
            "discharge_energy_wh": pytest.approx(5.6),
        }
    ]


def test_memory_does_not_grow_with_rows() -> None:
    def many(count: int):
        for i in range(count):
            yield Sample(float(i), -1.0, 3.3, 25.0, i // 10_000, 1)

    tracemalloc.start()
    try:
        result = summarise_cycles(many(30_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.sample_count == 30_000
    assert peak < 200_000  # 30k Samples held at once would take several MB


def test_soh_pct() -> None:
    assert soh_pct(measured_capacity_ah=70.0, nominal_capacity_ah=100.0) == pytest.approx(70.0)
    assert soh_pct(measured_capacity_ah=0.0, nominal_capacity_ah=5.0) == 0.0


@pytest.mark.parametrize("nominal", [0.0, -1.0, float("nan"), float("inf")])
def test_soh_pct_needs_a_positive_nominal(nominal: float) -> None:
    with pytest.raises(ValueError, match="nominal_capacity_ah"):
        soh_pct(measured_capacity_ah=1.0, nominal_capacity_ah=nominal)
