"""BMS snapshots in JSON and CSV."""

import io
import json
import math

import pytest

from verification.domain import TestDataError
from verification.domain.figures import compute_figures
from verification.domain.formats import detect_format, read_test_data

SNAPSHOT = {
    "cell_voltages_v": [3.31, 3.29, 3.35, 3.30],
    "cell_temperatures_c": [24.0, 26.5, 25.0, 25.5],
    "cycle_count": 812,
    "soh_pct": 87.5,
    "pack_voltage_v": 13.25,
}
CSV = """\
cycle_count,812
soh_pct,87.5
cell,voltage_v,temperature_c
2,3.29,26.5
1,3.31,24.0
3,3.35,
4,3.30,25.5
pack_voltage_v,13.25
"""


def _read(raw: bytes, **options):
    return read_test_data(io.BytesIO(raw), **options)


def test_json_snapshot() -> None:
    raw = json.dumps(SNAPSHOT).encode()
    assert detect_format(raw, "bms.json") == "bms_snapshot"
    data = _read(raw, filename="bms.json")
    assert data.format == "bms_snapshot"
    assert list(data.batches()) == []
    snapshot = data.snapshot
    assert snapshot.cell_voltages_v == (3.31, 3.29, 3.35, 3.30)
    assert snapshot.cell_temperatures_c == (24.0, 26.5, 25.0, 25.5)
    assert (snapshot.cycle_count, snapshot.bms_soh_pct, snapshot.pack_voltage_v) == (
        812,
        87.5,
        13.25,
    )
    figures = compute_figures(data, nominal_capacity_ah=100)
    assert figures.bms_soh_pct == 87.5 and figures.soh_pct is None
    assert figures.weakest_cell["index"] == 2


def test_csv_snapshot_orders_cells_and_reads_key_values() -> None:
    raw = CSV.encode()
    assert detect_format(raw, "bms.csv") == "bms_snapshot"
    snapshot = _read(raw).snapshot
    assert snapshot.cell_voltages_v == (3.31, 3.29, 3.35, 3.30)
    assert snapshot.cell_temperatures_c[:2] == (24.0, 26.5)
    assert math.isnan(snapshot.cell_temperatures_c[2])
    assert (snapshot.cycle_count, snapshot.bms_soh_pct, snapshot.pack_voltage_v) == (
        812,
        87.5,
        13.25,
    )


def test_csv_in_millivolts_without_temperatures() -> None:
    snapshot = _read(b"cell,voltage_mv\n1,3310\n2,3290\n").snapshot
    assert snapshot.cell_voltages_v == pytest.approx((3.31, 3.29))
    assert snapshot.cell_temperatures_c == ()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"cell_voltages_v": [3310, 3290]}, "cell_voltages_v\\[0\\] is 3310 V.*millivolts"),
        ({"cell_voltages_v": []}, "'cell_voltages_v' is empty"),
        ({"cell_voltages_v": "3.3"}, "must be a list"),
        ({"cell_voltages_v": [3.3, True]}, "cell_voltages_v\\[1\\] is True, not a number"),
        ({"cell_voltages_v": [3.3], "cycle_count": 8.5}, "cycle_count is 8.5"),
        ({"cell_voltages_v": [3.3], "soh_pct": 870}, "soh_pct is 870, outside 0..150"),
        ({"cell_voltages_v": [3.3], "cell_temperatures_c": [-2500]}, "outside -60..200 C"),
    ],
)
def test_json_values_are_checked(document: dict, message: str) -> None:
    with pytest.raises(TestDataError, match=message):
        _read(json.dumps(document).encode(), declared_format="bms_snapshot")


def test_unknown_json_keys_are_warned() -> None:
    data = _read(json.dumps({**SNAPSHOT, "vin": "X"}).encode())
    assert data.warnings == ["BMS snapshot: ignored keys vin"]


def test_truncated_json() -> None:
    raw = json.dumps(SNAPSHOT, indent=1).encode()[:60]
    with pytest.raises(TestDataError, match="BMS snapshot: not valid JSON"):
        _read(raw, filename="bms.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cell,voltage_v\n1,3.3\n1,3.4\n", "line 3: cell 1 appears twice"),
        ("cell,voltage_v\n1,3.3,25\n", "line 2: expected 2 fields, found 3"),
        ("cell,temperature_c\n1,25\n", "line 1: the cell header has no voltage_v"),
        ("cell,voltage_v\n1,x\n", "line 2 voltage_v is 'x', not a number"),
        ("cell,voltage_v\n", "no 'cell,voltage_v' header followed by cell rows"),
        ("cell,voltage_v\n1,3.3\n5;3.3;4\n", "line 3: expected a 'cell,voltage_v,temperature_c'"),
    ],
)
def test_csv_problems_name_the_line(text: str, message: str) -> None:
    with pytest.raises(TestDataError, match=message):
        _read(text.encode(), declared_format="bms_snapshot")
