"""Arbin CSV and XLSX exports."""

import io

import numpy as np
import pytest

from verification.domain import TestDataError
from verification.domain.figures import compute_figures
from verification.domain.formats import detect_format, read_test_data

NAME = "arbin_example.csv"
HEADER = (
    "Data_Point,Test_Time(s),Step_Index,Cycle_Index,Current({unit}),Voltage(V),Aux_Temperature_1(C)"
)


def test_discharge_capacity_per_cycle_matches_the_reference(cycler, reference) -> None:
    columns = cycler.read(NAME)[1]
    expected = reference[NAME]["per_cycle_discharge_Ah"]["coulomb_counting_trapz"]
    measured = cycler.discharge_ah(columns, columns["cycle"])
    assert sorted(measured) == [1, 2]
    for cycle, ah in expected.items():
        assert measured[int(cycle)] == pytest.approx(ah, rel=0.005)
    # Arbin's own counter (max per cycle) agrees too: the counter accumulates within a cycle.
    counter = reference[NAME]["per_cycle_discharge_Ah"]["instrument_counter_max"]
    assert measured[2] == pytest.approx(counter["2"], rel=0.005)


def test_the_figures_engine_measures_the_last_full_cycle(cycler, reference) -> None:
    with open(cycler.path(NAME), "rb") as stream:
        figures = compute_figures(read_test_data(stream), nominal_capacity_ah=1.1)
    expected = reference[NAME]["per_cycle_discharge_Ah"]["coulomb_counting_trapz"]["2"]
    assert figures.cycle_used == 2
    assert figures.discharge_capacity_ah == pytest.approx(expected, rel=0.005)


def test_columns_units_and_numbering(cycler) -> None:
    data, columns = cycler.read(NAME)
    assert data.format == "arbin_csv"
    assert data.units["time"] == "s" and data.units["current"] == "A"
    assert data.units["discharge_sign"].startswith("negative")
    assert data.warnings == []
    assert len(columns["time_s"]) == 2142
    assert np.all(np.diff(columns["time_s"]) >= 0)
    assert set(np.unique(columns["cycle"])) == {1, 2}
    assert columns["current_a"].min() == pytest.approx(-4.4, rel=0.01)
    assert columns["temperature_c"][0] == pytest.approx(29.18314)
    for key in ("time_s", "current_a", "voltage_v", "temperature_c"):
        assert columns[key].dtype == np.float64
    assert columns["cycle"].dtype == np.int64 and columns["step"].dtype == np.int64


def test_batches_are_bounded_and_give_the_same_samples(cycler) -> None:
    whole = cycler.read(NAME)[1]
    data = read_test_data(open(cycler.path(NAME), "rb"), batch_rows=500)  # noqa: SIM115
    batches = list(data.batches())
    assert [len(b["time_s"]) for b in batches] == [500, 500, 500, 500, 142]
    for key, values in whole.items():
        np.testing.assert_array_equal(np.concatenate([b[key] for b in batches]), values)


def test_mits_pro_headers_with_milliamps() -> None:
    rows = ["1,0,1,1,0,3.30,25", "2,10,2,1,-1500,3.20,25.5", "3,20,2,1,-1500,3.10,26"]
    raw = "\n".join([HEADER.format(unit="mA"), *rows]).encode()
    data = read_test_data(io.BytesIO(raw), filename="ch1.csv")
    assert data.format == "arbin_csv"
    assert data.units["current"] == "mA"
    batches = list(data.batches())  # a last line without a line end comes as a batch of its own
    current = np.concatenate([b["current_a"] for b in batches])
    temperature = np.concatenate([b["temperature_c"] for b in batches])
    np.testing.assert_allclose(current, [0, -1.5, -1.5])
    np.testing.assert_allclose(temperature, [25, 25.5, 26])


def test_an_unknown_unit_is_refused() -> None:
    raw = (HEADER.format(unit="uA") + "\n1,0,1,1,0,3.3,25\n").encode()
    with pytest.raises(TestDataError, match=r"'Current\(uA\)' on line 1 is in 'ua'"):
        read_test_data(io.BytesIO(raw), declared_format="arbin_csv")


def test_a_missing_column_is_named() -> None:
    raw = b"Test_Time,Cycle_Index,Step_Index,Current,Volts\n0,1,1,0,3.3\n"
    with pytest.raises(TestDataError, match="Arbin CSV export: no header with Test_Time"):
        read_test_data(io.BytesIO(raw), declared_format="arbin_csv")


def test_millivolts_under_a_volts_label_are_caught() -> None:
    raw = (HEADER.format(unit="A") + "\n1,0,1,1,0,3300,25\n").encode()
    data = read_test_data(io.BytesIO(raw))
    with pytest.raises(TestDataError, match=r"row 2: voltage 3300 V .* millivolts"):
        list(data.batches())


# ---- XLSX -----------------------------------------------------------------------------------


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_HEADER = [
    "Data_Point", "Test_Time(s)", "Date_Time", "Step_Index", "Cycle_Index", "Current(A)",
    "Voltage(V)",
]  # fmt: skip


def test_xlsx_export_over_two_sheets() -> None:
    first = [[1, 0.0, "x", 1, 1, 1.0, 3.3], [2, 10.0, "x", 1, 1, 1.0, 3.4]]
    second = [[3, 20.0, "x", 2, 1, -2.0, 3.2], [4, 30.0, "x", 2, 1, -2.0, 3.1]]
    raw = _workbook(
        {
            "Global_Info": [["TEST REPORT"], ["Channel", 6]],
            "Channel_1-006_1": [XLSX_HEADER, *first],
            "Channel_1-006_2": [XLSX_HEADER, *second],
            "Statistics_1-006": [["Cycle_Index", "Discharge_Capacity(Ah)"], [1, 0.0055]],
        }
    )
    assert detect_format(raw[:65536]) == "arbin_xlsx"
    data = read_test_data(io.BytesIO(raw), filename="export.xlsx", batch_rows=1)
    assert data.format == "arbin_xlsx"
    batches = list(data.batches())
    assert len(batches) == 4
    time = np.concatenate([b["time_s"] for b in batches])
    current = np.concatenate([b["current_a"] for b in batches])
    np.testing.assert_array_equal(time, [0, 10, 20, 30])
    np.testing.assert_array_equal(current, [1, 1, -2, -2])


def test_xlsx_without_an_arbin_or_neware_sheet_names_what_was_looked_for() -> None:
    raw = _workbook({"Sheet": [["a", "b"], [1, 2]]})
    with pytest.raises(TestDataError) as caught:
        read_test_data(io.BytesIO(raw), filename="x.xlsx")
    message = str(caught.value)
    assert message.startswith("Excel workbook: neither an Arbin export")
    assert "Test_Time, Current, Voltage and Cycle_Index" in message
    assert "nor a Neware export" in message and "Step Type" in message
    assert "sheets: 'Sheet'" in message


def test_xlsx_declared_arbin_without_an_arbin_sheet() -> None:
    raw = _workbook({"Sheet": [["a", "b"], [1, 2]]})
    with pytest.raises(TestDataError, match="no sheet has a Test_Time"):
        read_test_data(io.BytesIO(raw), filename="x.xlsx", declared_format="arbin_xlsx")


def test_xlsx_with_text_in_a_number_column() -> None:
    raw = _workbook({"Channel_1-001": [XLSX_HEADER, [1, 0.0, "x", 1, 1, "n/a", 3.3]]})
    data = read_test_data(io.BytesIO(raw), filename="x.xlsx")
    with pytest.raises(TestDataError, match=r"row 2: 'Current\(A\)' is 'n/a'"):
        list(data.batches())


def test_truncated_xlsx() -> None:
    raw = _workbook({"Channel_1-001": [XLSX_HEADER, [1, 0.0, "x", 1, 1, 1.0, 3.3]]})
    with pytest.raises(TestDataError, match=r"^Excel workbook: not a readable \.xlsx workbook"):
        read_test_data(io.BytesIO(raw[: len(raw) // 2]), filename="x.xlsx")


@pytest.mark.parametrize("column", ["Cycle_Index", "Step_Index"])
def test_csv_with_blank_index_cells_names_the_column_and_the_line(cycler, column: str) -> None:
    lines = cycler.path("arbin_example.csv").read_bytes().split(b"\n")
    names = lines[0].decode().split(",")
    index = names.index(column)
    for number in range(40, 60):  # lines 41..60 lose their index cells, and Data_Point too
        fields = lines[number].split(b",")
        fields[index] = fields[0] = b""
        lines[number] = b",".join(fields)
    data = read_test_data(io.BytesIO(b"\n".join(lines)), filename="arbin.csv")
    with pytest.raises(TestDataError) as caught:
        list(data.batches())
    message = str(caught.value)
    assert message.startswith(f"Arbin CSV export, line 41: no value in '{column}'")
    assert "truncated" not in message
    assert caught.value.row == 41


def test_a_negative_voltage_is_explained_in_plain_words() -> None:
    rows = (
        "Data_Point,Test_Time,Step_Index,Cycle_Index,Current,Voltage\n"
        "1,0,1,1,0,3.3\n2,1,1,1,0,-0.32\n"
    )
    data = read_test_data(io.BytesIO(rows.encode()), filename="arbin.csv")
    with pytest.raises(TestDataError) as caught:
        list(data.batches())
    assert str(caught.value) == (
        "Arbin CSV export, row 3: voltage -0.32 V is negative, and a battery's voltage never "
        "is: check the voltage column and the polarity of the connection"
    )
