"""Neware BTS Excel exports, built with openpyxl in the layouts BTS writes: BTS 8 (sheets test,
unit, cycle, step, record; `Total Time` as text) and BTS 7 (Info, Cycle, Statis, Detail_*;
`Relative Time` is step time, current in mA). No redistributable Neware workbook was found."""

import io

import numpy as np
import openpyxl
import pytest

from verification.domain import TestDataError
from verification.domain.formats import FORMATS, detect_format, read_test_data
from verification.domain.measure import measure

BTS8_HEADER = [
    "DataPoint", "Cycle Index", "Step Index", "Step Type", "Time", "Total Time", "Current(A)",
    "Voltage(V)", "Capacity(Ah)", "Spec. Cap.(mAh/g)", "Chg. Cap.(Ah)", "DChg. Cap.(Ah)",
    "Energy(Wh)", "Date",
]  # fmt: skip
BTS7_HEADER = [
    "Record ID", "Realtime", "Time(h:min:s.ms)", "Status", "Jump", "Cycle", "Steps",
    "Current(mA)", "Voltage(V)", "Capacity(mAh)", "Energy(mWh)",
]  # fmt: skip


def _hms(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{int(hours):02d}:{int(rest // 60):02d}:{rest % 60:06.3f}"


def _steps() -> list[tuple[int, str, float, float, float]]:
    """(step, type, amps, seconds, start volts): 1 h charge at 2 A, rest, 2 A discharge to the
    cutoff, rest: 2 Ah each way."""
    return [(1, "CC Chg", 2.0, 3600, 3.3), (2, "Rest", 0.0, 600, 4.1),
            (3, "CC DChg", -2.0, 3600, 4.1), (4, "Rest", 0.0, 600, 2.6)]  # fmt: skip


def _bts8_rows(current_scale: float = 1.0) -> list[list]:
    rows, point, total = [], 1, 0.0
    for step, kind, amps, length, volts in _steps():
        for t in np.arange(0, length + 1, 60.0):
            v = volts + (0.8 if amps > 0 else -1.5 if amps < 0 else 0) * t / length
            ah = abs(amps) * t / 3600
            chg, dchg = (ah, 0.0) if amps > 0 else (0.0, ah)
            rows.append([
                point, 1, step, kind, _hms(t), _hms(total + t), amps * current_scale, round(v, 4),
                ah, ah * 1000 / 5, chg, dchg, ah * 3.6, f"2024-03-01 10:{point % 60:02d}:00",
            ])  # fmt: skip
            point += 1
        total += length + 60
    return rows


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bts8(rows: list[list]) -> bytes:
    return _workbook(
        {
            "test": [["Start Time", "2024-03-01 10:00:00"], ["Barcode", "X1"]],
            "unit": [["Channel", "1-1-1"]],
            "cycle": [["Cycle Index", "Chg. Cap.(Ah)", "DChg. Cap.(Ah)"], [1, 2.0, 2.0]],
            "step": [["Cycle Index", "Step Index", "Step Type"], [1, 1, "CC Chg"]],
            "record": [BTS8_HEADER, *rows],
        }
    )


def _columns(data) -> dict[str, np.ndarray]:
    batches = list(data.batches())
    return {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}


def test_neware_xlsx_is_a_declared_format() -> None:
    assert ("neware_xlsx", "Neware Excel export") in FORMATS


def test_bts8_record_sheet_is_read_as_neware_not_arbin() -> None:
    raw = _bts8(_bts8_rows())
    assert detect_format(raw[:65536], "export.xlsx") in ("arbin_xlsx", "neware_xlsx")
    data = read_test_data(io.BytesIO(raw), filename="export.xlsx", batch_rows=50)
    assert data.format == "neware_xlsx"
    assert data.columns == {
        "current": "Current(A)",
        "voltage": "Voltage(V)",
        "capacity_counter": "Capacity(Ah)",
    }
    assert data.units["time"] == "Total Time (total time)"
    assert data.units["capacity_counter"] == "Ah"
    columns = _columns(data)
    assert len(columns["time_s"]) == len(_bts8_rows())
    assert columns["time_s"][-1] == pytest.approx(3600 * 2 + 1200 + 180)
    assert set(np.unique(columns["step"])) == {1, 2, 3, 4}
    discharge = columns["current_a"] < 0
    assert np.all(columns["current_a"][discharge] == -2.0)
    # the counter: Capacity(Ah), per step, as the file has it
    assert columns["capacity_counter_ah"].max() == pytest.approx(2.0)
    time, current = columns["time_s"], columns["current_a"]
    pairs = (current[1:] < 0) & (current[:-1] < 0)
    integrated = np.sum(np.abs(current[1:] + current[:-1])[pairs] / 2 * np.diff(time)[pairs])
    assert integrated / 3600 == pytest.approx(2.0, rel=0.02)


def test_bts8_measures_the_discharge() -> None:
    raw = _bts8(_bts8_rows())
    figures = measure(io.BytesIO(raw), nominal_capacity_ah=2.0, filename="export.xlsx")
    assert figures.counter_check is not None
    assert figures.counter_check["column"] == "Capacity(Ah)"
    assert figures.counter_check["ratio"] == pytest.approx(1.0, abs=0.02)


def test_bts8_current_that_disagrees_with_the_counter_warns() -> None:
    raw = _bts8(_bts8_rows(current_scale=0.5))  # half the current the counter counted
    figures = measure(io.BytesIO(raw), nominal_capacity_ah=2.0, filename="export.xlsx")
    assert any("differ by -50.0 %" in w for w in figures.warnings), figures.warnings


def test_bts7_detail_sheet_with_step_time_and_milliamps() -> None:
    rows, record = [], 1
    for step, kind, amps, length, volts in _steps():
        status = {"CC Chg": "CC_Chg", "CC DChg": "CC_DChg"}.get(kind, "Rest")
        for t in np.arange(0, length + 1, 120.0):
            v = volts + (0.8 if amps > 0 else -1.5 if amps < 0 else 0) * t / length
            mah = abs(amps) * t / 3.6
            # BTS 7 writes discharge current unsigned; Status gives the direction
            rows.append([record, "2024-03-01 10:00:00", _hms(t), status, 0, 1, step,
                         abs(amps) * 1000, round(v, 4), mah, mah * 3.6])  # fmt: skip
            record += 1
    raw = _workbook(
        {
            "Info": [["Channel", "67-1-1"]],
            "Cycle": [["Cycle", "Cap_Chg(mAh)"], [1, 2000]],
            "Statis": [["Channel", "Cycle"], [1, 1]],
            "Detail_67_1_1": [BTS7_HEADER, *rows],
        }
    )
    data = read_test_data(io.BytesIO(raw), filename="bts7.xlsx", batch_rows=17)
    assert data.format == "neware_xlsx"
    assert data.units["current"] == "mA"
    assert data.units["time"].endswith("(step time, added up)")
    assert data.columns["capacity_counter"] == "Capacity(mAh)"
    columns = _columns(data)
    assert np.all(np.diff(columns["time_s"]) >= 0)
    assert columns["time_s"][-1] == pytest.approx(2 * 3600 + 1200)
    assert columns["current_a"].min() == pytest.approx(-2.0)
    assert columns["capacity_counter_ah"].max() == pytest.approx(2.0)


def test_record_sheet_with_a_bad_value_names_sheet_row_and_column() -> None:
    rows = _bts8_rows()
    rows[7][7] = "n/a"
    data = read_test_data(io.BytesIO(_bts8(rows)), filename="export.xlsx")
    with pytest.raises(TestDataError, match=r"sheet 'record', row 9: 'Voltage\(V\)' is 'n/a'"):
        list(data.batches())


def test_declared_neware_xlsx_without_a_record_sheet() -> None:
    raw = _workbook({"Sheet": [["a", "b"], [1, 2]]})
    with pytest.raises(
        TestDataError, match="Neware Excel export: no record sheet with Cycle Index"
    ):
        read_test_data(io.BytesIO(raw), filename="x.xlsx", declared_format="neware_xlsx")
