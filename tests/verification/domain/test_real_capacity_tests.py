"""Complete capacity tests on the real cycler files, and the cuts of them that are not: an SOH
comes only from a discharge that ended at the lower cutoff (the chemistry's per-cell cutoff x
cells in series, or the schedule's own voltage-limited step end)."""

from __future__ import annotations

import io

import pytest

from verification.domain.measure import measure


def figures(raw: bytes, name: str, nominal_ah: float, **pack):
    return measure(io.BytesIO(raw), nominal_capacity_ah=nominal_ah, filename=name, **pack)


@pytest.mark.parametrize(
    ("name", "nominal_ah", "chemistry", "cycle", "end_v"),
    [
        ("arbin_example.csv", 1.1, "LFP", 2, 2.00),
        ("maccor_001.txt", 5.0, "NMC", 2, 2.50),
        ("xTESLADIAG_000019_CH70.070", 4.7, "NMC", 31, 3.00),
    ],
)
def test_real_capacity_tests_are_complete_with_and_without_the_pack_cutoff(
    cycler, name, nominal_ah, chemistry, cycle, end_v
):
    raw = cycler.path(name).read_bytes()
    own = figures(raw, name, nominal_ah)  # the schedule's own step end, seen in the data
    with_cutoff = figures(raw, name, nominal_ah, cells_series=1, chemistry=chemistry)
    for result in (own, with_cutoff):
        assert result.capacity_test["complete"] is True
        assert result.cycle_used == cycle
        assert result.capacity_test["end_voltage_v"] == pytest.approx(end_v, abs=0.01)
    assert own.capacity_test["ended_by"] == "voltage-limited step end"
    assert with_cutoff.capacity_test["ended_by"] == "voltage cutoff"
    assert f"{chemistry} lower cutoff" in with_cutoff.capacity_test["reason"]
    assert own.soh_pct == pytest.approx(with_cutoff.soh_pct)


def test_a_cv_hold_at_the_lowest_voltage_ends_a_complete_discharge(cycler):
    name = "xTESLADIAG_000019_CH70.070"
    result = figures(cycler.path(name).read_bytes(), name, 4.7)
    assert "a CV hold at its lowest voltage" in result.capacity_test["reason"]


def _maccor_stopped_at(cycler, volts: float) -> bytes:
    """maccor_001 cut at the first discharge sample at or below `volts` (a manual stop)."""
    lines = cycler.path("maccor_001.txt").read_bytes().split(b"\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(b"Rec#")) + 1
    discharges, previous = 0, b""
    for number in range(start, len(lines)):
        fields = lines[number].split(b"\t")
        state = fields[9]
        discharges += state == b"D" and previous != b"D"
        if state == b"D" and discharges == 2 and float(fields[8]) <= volts:
            return b"\n".join(lines[: number + 1])
        previous = state
    raise AssertionError("no such sample")


def test_a_test_stopped_mid_discharge_gives_no_soh_and_says_why(cycler):
    stopped = _maccor_stopped_at(cycler, 3.57)
    result = figures(stopped, "maccor_001.txt", 5.0, cells_series=1, chemistry="NMC")
    assert result.soh_pct is None and result.discharge_capacity_ah is None
    assert result.soh_basis["test_type"] == "no complete capacity test"
    reason = result.capacity_test["reason"]
    assert "reached 3.57 V and was still running at the file's last sample" in reason
    assert "the pack's lower cutoff is 3.20 V" in reason
    assert any(w.startswith("SOH not measured: no complete capacity test") for w in result.warnings)
    # The partial discharge keeps its per-cycle figures.
    assert max(row.discharge_capacity_ah for row in result.cycles) > 3


def test_a_three_second_fragment_of_a_discharge_is_no_capacity_test(cycler):
    lines = cycler.path("arbin_example.csv").read_text().splitlines()
    header = lines[0].split(",")
    time_at, current_at = header.index("Test_Time"), header.index("Current")
    rows = [line.split(",") for line in lines[1:] if line]
    first = next(i for i, row in enumerate(rows) if float(row[current_at]) < -0.01)
    start = float(rows[first][time_at])
    fragment = [
        ",".join(row)
        for row in rows[first:]
        if float(row[time_at]) - start <= 3.0 and float(row[current_at]) < -0.01
    ]
    raw = "\n".join([lines[0], *fragment]).encode()
    result = figures(raw, "fragment.csv", 1.1)
    assert result.soh_pct is None
    assert "a fragment, not a capacity test" in result.capacity_test["reason"]
    assert result.capacity_test["ended_by"] == "too short"


def test_a_discharge_stopped_on_its_plateau_is_inconclusive(cycler):
    result = figures(cycler.path("biol.mpr").read_bytes(), "biol.mpr", 0.005)
    assert result.soh_pct is None
    assert result.capacity_test["ended_by"] == "stopped on the plateau"
    assert "a manual stop or a time limit, not the lower cutoff" in result.capacity_test["reason"]
