"""Maccor text exports: TRI, maccor_001 and KIT layouts."""

import io

import numpy as np
import pytest

from tests.verification.oracles import derive_cycles
from verification.domain import TestDataError
from verification.domain.figures import compute_figures
from verification.domain.formats import detect_format, read_test_data

TESLA = "xTESLADIAG_000019_CH70.070"
M50 = "maccor_001.txt"
KIT = "maccor_002.txt"


def _derived(columns: dict) -> np.ndarray:
    return derive_cycles(columns["current_a"], rest_threshold_a=0.01)


def test_tri_layout_discharges_match_the_reference_segments(cycler, reference) -> None:
    columns = cycler.read(TESLA)[1]
    segments = [s["coulomb_Ah"] for s in reference[TESLA]["discharge_segments_detail"]]
    assert len(segments) == 32
    # Cyc# never advances, so cycles come from the current: a new one at each charge after a
    # discharge. The first partial discharge is derived cycle 1; the last 2C discharge and the
    # final 0.94 A discharge have no charge between them, so derived cycle 31 holds both.
    expected = {i + 1: ah for i, ah in enumerate(segments[:30])} | {31: sum(segments[30:])}
    measured = cycler.discharge_ah(columns, _derived(columns))
    assert sorted(measured) == sorted(expected)
    for cycle, ah in expected.items():
        assert measured[cycle] == pytest.approx(ah, rel=0.005), cycle


def test_tri_layout_keeps_the_instrument_counter_and_warns(cycler, reference) -> None:
    data, columns = cycler.read(TESLA)
    assert data.format == "maccor_txt"
    assert data.units == {
        "current": "A",
        "voltage": "V",
        "time": "s",
        "discharge_sign": "negative in the file (signed Amps), direction taken from State",
        "capacity_counter": "Ah",
    }
    # Grouped by Cyc#, cycle 1 adds 30 discharges (88.5 Ah): the figure BEEP reports, and the
    # reason for the warning.
    by_counter = cycler.discharge_ah(columns, columns["cycle"])
    wrong = reference[TESLA]["per_cycle_discharge_Ah (by Maccor Cyc#, WRONG for SOH)"]
    for cycle, ah in wrong["counter_sum"].items():
        assert by_counter[int(cycle)] == pytest.approx(ah, rel=0.005)
    (warning,) = data.warnings
    assert "cycle 1 as numbered by 'Cyc#' holds 30 discharges" in warning
    assert np.all(np.diff(columns["time_s"]) >= 0)
    assert columns["time_s"][-1] == pytest.approx(136344.95)


def test_the_figures_engine_renumbers_the_stalled_counter(cycler, reference) -> None:
    with open(cycler.path(TESLA), "rb") as stream:
        figures = compute_figures(read_test_data(stream), nominal_capacity_ah=4.7)
    assert len(figures.cycles) == 31
    assert any("cycles were re-derived from the current" in w for w in figures.warnings)


def test_maccor_001_unsigned_current_and_day_times(cycler, reference) -> None:
    data, columns = cycler.read(M50)
    steps = [s["Ah"] for s in reference[M50]["per_discharge_step_Ah"]]
    measured = cycler.discharge_ah(columns, _derived(columns))
    assert list(measured) == [1, 2, 3, 4, 5]
    for cycle, ah in zip(measured, steps, strict=True):
        assert measured[cycle] == pytest.approx(ah, rel=0.005)
    assert data.units["time"] == "d hh:mm:ss"
    assert data.units["discharge_sign"].startswith("from State (current written unsigned")
    # '  2d 02:52:51.5699996948242' is the last TestTime
    assert columns["time_s"][-1] == pytest.approx(2 * 86400 + 2 * 3600 + 52 * 60 + 51.57)
    assert np.all(columns["cycle"] == 0)
    assert any("cycle 0 as numbered by 'Cyc#' holds 5 discharges" in w for w in data.warnings)
    # The Aux thermocouples were not connected (-2500 C): blanked, and said so.
    assert np.all(np.isnan(columns["temperature_c"]))
    assert any("unconnected thermocouple" in w for w in data.warnings)
    assert data.metadata["Filename"] == "M50_Validation_0deg_01"


def test_kit_layout_in_minutes_with_latin1_header(cycler, reference) -> None:
    data, columns = cycler.read(KIT)
    expected = reference[KIT]["per_cycle_discharge_Ah"]["coulomb_counting_trapz"]
    measured = cycler.discharge_ah(columns, columns["cycle"])  # 'Cycle C'
    assert sorted(measured) == [1, 2]
    for cycle, ah in expected.items():
        assert measured[int(cycle)] == pytest.approx(ah, rel=0.005)
    assert data.units["time"] == "min (from DPt Time)"
    assert columns["time_s"][1] == 60.0
    assert data.warnings == []
    assert data.metadata["Name"] == "CW-SIMBA-FC-CT-NAPF6-015.053"


KIT_HEAD = (
    "Name:\tX\nSCap\t0,017\n\n"
    "Rec\tCycle P\tCycle C\tStep\tTestTime\tCurrent [A]\tVoltage [V]\tMd\n\n"
)


def test_kit_layout_with_decimal_commas_and_no_wall_clock() -> None:
    rows = ["1\t0\t1\t1\t0,0\t0,0\t3,1\tR", "2\t0\t1\t2\t1,5\t0,00016\t3,0\tD"]
    raw = (KIT_HEAD + "\n".join(rows) + "\n").encode("latin-1")
    data = read_test_data(io.BytesIO(raw), filename="kit.txt")
    assert data.units["time"] == "min (KIT layout)"
    assert data.units["decimal_separator"] == ","
    (batch,) = data.batches()
    np.testing.assert_allclose(batch["time_s"], [0, 90])
    np.testing.assert_allclose(batch["current_a"], [0, -0.00016])
    np.testing.assert_allclose(batch["voltage_v"], [3.1, 3.0])


TRI_HEAD = "Today's Date 07/17/2019\tFilename:\tx\n"


def _tri(header: str, *rows: str) -> bytes:
    return (TRI_HEAD + header + "\n" + "\n".join(rows) + "\n").encode("latin-1")


def test_no_current_column_is_named_with_its_line() -> None:
    raw = b"t1\nt2\nRec#\tCyc#\tStep\tTest (Sec)\tVolts\tState\n1\t0\t1\t0\t3.3\tR\n"
    assert detect_format(raw) == "maccor_txt"
    with pytest.raises(TestDataError) as caught:
        read_test_data(io.BytesIO(raw))
    assert str(caught.value).startswith(
        "Maccor export: no 'Amps' or 'Current' column found in the header on line 3"
    )


def test_a_current_unit_it_cannot_convert() -> None:
    raw = b"t1\nRec#\tCyc#\tStep\tTest (Sec)\tCurrent [uA]\tVolts\tState\n1\t0\t1\t0\t5\t3.3\tR\n"
    with pytest.raises(TestDataError, match=r"'Current \[uA\]' on line 2 is in 'ua'"):
        read_test_data(io.BytesIO(raw), declared_format="maccor_txt")


def test_plain_number_time_without_a_wall_clock_is_refused() -> None:
    raw = _tri("Rec#\tCyc#\tStep\tTestTime\tAmps\tVolts\tState", "1\t0\t1\t0\t0\t3.3\tR")
    with pytest.raises(
        TestDataError, match="seconds, minutes or hours; export with 'Test \\(Sec\\)'"
    ):
        read_test_data(io.BytesIO(raw))


def test_millivolts_under_volts_are_caught() -> None:
    # cellpy's maccor_three.txt: a column headed Volts holding about 1853 (mV)
    raw = _tri("Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\tState", "1\t0\t1\t0\t0\t1853.2\tR")
    data = read_test_data(io.BytesIO(raw))
    with pytest.raises(TestDataError, match=r"row 3: voltage 1853.2 V .* millivolts"):
        list(data.batches())


def test_unsigned_current_without_state_is_refused() -> None:
    raw = _tri("Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts", "1\t0\t1\t0\t1.5\t3.3")
    with pytest.raises(TestDataError, match="no State or Md column"):
        read_test_data(io.BytesIO(raw))


def test_signed_current_without_state_is_kept() -> None:
    raw = _tri(
        "Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts", "1\t0\t1\t0\t1.5\t3.3", "2\t0\t2\t5\t-1.5\t3.2"
    )
    data = read_test_data(io.BytesIO(raw))
    assert data.units["discharge_sign"] == "negative (as written; no State column)"
    (batch,) = data.batches()
    np.testing.assert_array_equal(batch["current_a"], [1.5, -1.5])


def test_text_in_a_number_column_names_the_line() -> None:
    raw = _tri(
        "Rec#\tCyc#\tStep\tTest (Sec)\tAmps\tVolts\tState",
        "1\t0\t1\t0\t0\t3.3\tR",
        "2\t0\t1\t5\t1.5\tabc\tC",
    )
    data = read_test_data(io.BytesIO(raw))
    with pytest.raises(TestDataError, match="line 4: 'Volts' is 'abc', not a number") as caught:
        list(data.batches())
    assert caught.value.row == 4
