"""Neware flat CSV, the three-level "regular" CSV (hand-written) and .ndax."""

import io

import numpy as np
import pytest

from verification.domain import TestDataError
from verification.domain.formats import detect_format, read_test_data

UIO = "neware_uio.csv"
NDAX = "20260302_IFE_BTS85_2_9_8_1.ndax"


def test_flat_csv_discharge_per_cycle_adds_up_the_steps(cycler, reference) -> None:
    columns = cycler.read(UIO)[1]
    per_cycle = reference[UIO]["per_cycle_discharge_Ah"]
    measured = cycler.discharge_ah(columns, columns["cycle"])  # 'Cycle Index'
    assert sorted(measured) == [1, 2, 3, 4]
    for cycle, ah in per_cycle["coulomb_counting_trapz"].items():
        assert measured[int(cycle)] == pytest.approx(ah, rel=0.005)
    # Three discharge steps per cycle: the capacity is their sum, not the largest step's.
    largest_step = per_cycle["max_single_step_only (what a naive groupby-max gives)"]
    assert measured[1] > 1.05 * largest_step["1"]


def test_flat_csv_time_units_and_warning(cycler) -> None:
    data, columns = cycler.read(UIO)
    assert data.format == "neware_csv"
    assert data.units["time"] == "Cumulative Time"
    assert data.units["current"] == "A"
    assert data.units["discharge_sign"].startswith("from Step Type")
    assert np.all(np.diff(columns["time_s"]) >= 0)
    assert columns["time_s"][-1] == 144 * 3600 + 2 * 60 + 18  # '144:02:18', past 24 h
    # Cycle Index 3 holds a second full cycle (steps 11-14).
    (warning,) = data.warnings
    assert "cycle 3 as numbered by 'Cycle Index' holds 2 discharges" in warning


def test_ndax_first_charge(cycler, reference) -> None:
    data, columns = cycler.read(NDAX)
    expected = reference[NDAX]
    assert data.format == "neware_ndax"
    assert data.units["current"] == "mA"
    assert len(columns["time_s"]) == expected["rows"]["NewareNDA"]
    # No discharge in this file (reference 0.0): only the total charge can be compared.
    assert cycler.discharge_ah(columns, columns["cycle"]) == {1: 0.0}
    charge = cycler.charge_ah(columns, columns["cycle"])[1]
    assert charge == pytest.approx(expected["total_charge_Ah"], rel=0.005)
    # Step times (3600, 20, 1, 1675 and 247650 s) are added up into elapsed time.
    assert np.all(np.diff(columns["time_s"]) >= 0)
    assert columns["time_s"][-1] == pytest.approx(3600 + 20 + 1 + 1675 + 247650)
    assert sorted(np.unique(columns["step"])) == [1, 2, 3, 4, 5]


# ---- the regular export: no real sample was available, so this one is written by hand -------

REGULAR = """\
Cycle ID,Cap_Chg(mAh),Cap_DChg(mAh),Charge/Discharge Efficiency(%),
,Step ID,Step Name,Step Time(h:min:s.ms),Capacity(mAh),
,,Record ID,Time(h:min:s.ms),Voltage(V),Current(mA),Temperature(?),Capacity(mAh),Realtime
1,2.778,2.778,100.0,,1,\t"Rest",0:00:20.000,0.000
,,1,\t0:00:00.000,3.3000,0.0000,25.0,0.000,2019-05-07 10:00:00
,,2,\t0:00:10.000,3.3010,0.0000,25.1,0.000,2019-05-07 10:00:10
,,3,\t0:00:20.000,3.3020,0.0000,25.2,0.000,2019-05-07 10:00:20
,2,CC_Chg,0:00:10.000,2.778
,,4,0:00:00.000,3.4000,1000.0000,25.3,0.000,2019-05-07 10:00:20
,,5,0:00:10.000,3.5000,1000.0000,25.4,2.778,2019-05-07 10:00:30
,3,CC_DChg,0:00:10.000,2.778
,,6,0:00:00.000,3.3000,{discharge},25.5,0.000,2019-05-07 10:00:30
,,7,0:00:10.000,3.2000,{discharge},25.6,2.778,2019-05-07 10:00:40
2,1.0,0.0,0.0,
,4,CCCV_Chg,0:00:01.500,0.4
,,8,0:00:00.000,3.3000,1000.0000,25.7,0.000,2019-05-07 10:00:40
,,9,0:00:01.500,3.3500,1000.0000,25.8,0.417,2019-05-07 10:00:41
"""


@pytest.mark.parametrize("discharge", ["-1000.0000", "1000.0000"])
def test_regular_export_with_glued_first_step(cycler, discharge: str) -> None:
    raw = REGULAR.format(discharge=discharge).encode("latin-1")
    assert detect_format(raw, "export.csv") == "neware_csv"
    data, columns = cycler.read_bytes(raw, "export.csv", batch_rows=4)
    assert data.units["layout"] == "regular (cycle/step/record rows)"
    assert data.units["current"] == "mA"
    np.testing.assert_allclose(columns["time_s"], [0, 10, 20, 20, 30, 30, 40, 40, 41.5])
    # Signed or not in the file, CC_DChg makes the current negative.
    np.testing.assert_allclose(columns["current_a"], [0, 0, 0, 1, 1, -1, -1, 1, 1])
    np.testing.assert_array_equal(columns["cycle"], [1, 1, 1, 1, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(columns["step"], [1, 1, 1, 2, 2, 3, 3, 4, 4])
    np.testing.assert_allclose(columns["temperature_c"][[0, -1]], [25.0, 25.8])
    assert cycler.discharge_ah(columns, columns["cycle"])[1] == pytest.approx(10 / 3600)


def test_regular_export_record_before_any_step() -> None:
    lines = REGULAR.splitlines()
    raw = "\n".join([*lines[:3], lines[4]]).encode()
    data = read_test_data(io.BytesIO(raw), declared_format="neware_csv")
    with pytest.raises(TestDataError, match="line 4: a record row before any cycle and step row"):
        list(data.batches())


def test_regular_export_bad_time() -> None:
    raw = REGULAR.format(discharge="-1").replace("0:00:10.000,3.2000", "ten,3.2000").encode()
    data = read_test_data(io.BytesIO(raw))
    with pytest.raises(TestDataError, match=r"line 13: 'Time\(h:min:s.ms\)' is 'ten'"):
        list(data.batches())


def test_flat_csv_header_without_current() -> None:
    raw = b"DataPoint,Cycle Index,Step Index,Step Type,Time,Voltage(V)\n1,1,1,Rest,00:00:00,3.3\n"
    with pytest.raises(TestDataError, match="Neware CSV export: the first line is neither"):
        read_test_data(io.BytesIO(raw), declared_format="neware_csv")


def test_regular_export_torn_last_record_is_left_out_and_named(cycler) -> None:
    text = REGULAR.format(discharge="-1000.0000").rstrip("\n")
    torn = text[: text.rindex(",3.3500") + 4]  # cut inside the last record's voltage... and on
    torn = torn[: torn.rindex(",")]  # ...so that the row ends after its time field
    line = torn.count("\n") + 1
    data, columns = cycler.read_bytes(torn.encode("latin-1"), "export.csv", batch_rows=4)
    assert len(columns["time_s"]) == 8
    assert any(
        w.startswith(f"Neware CSV export, line {line}: the last row is incomplete")
        for w in data.warnings
    ), data.warnings


def test_regular_export_torn_record_inside_the_file_is_an_error() -> None:
    lines = REGULAR.format(discharge="-1000.0000").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(",,6,"))
    lines[index] = ",,6,0:00:00.000"
    data = read_test_data(io.BytesIO("\n".join(lines).encode()), filename="export.csv")
    with pytest.raises(TestDataError, match=rf"line {index + 1}: no value in 'Current\(mA\)'"):
        list(data.batches())
