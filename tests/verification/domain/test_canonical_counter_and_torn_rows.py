"""The canonical CSV's optional capacity_counter_ah column, and a torn last row, on both the
fast (pyarrow) path and the pure-Python reference."""

import io

import numpy as np
import pytest

from verification.domain import TestDataError
from verification.domain.canonical_fast import read_canonical, read_canonical_python
from verification.domain.measure import measure

READERS = {"fast": read_canonical, "python": read_canonical_python}
HEADER = "time_s,current_a,voltage_v,cycle,step,capacity_counter_ah\n"


def _cycle(rows: int = 200, current_scale: float = 1.0) -> str:
    """A 2 A charge then a 2 A discharge, 36 s apart; the counter counts each step from 0."""
    lines = []
    for i in range(rows):
        charging = i < rows // 2
        in_step = i if charging else i - rows // 2
        amps = 2.0 if charging else -2.0
        volts = 3.3 + 0.004 * in_step if charging else 3.7 - 0.006 * in_step
        counter = 2.0 * 36 * in_step / 3600
        lines.append(f"{i * 36},{amps * current_scale},{volts:.4f},1,{1 if charging else 2},"
                     f"{counter:.6f}\n")  # fmt: skip
    return HEADER + "".join(lines)


def _read(text: str, reader: str) -> tuple[dict[str, np.ndarray], list[str]]:
    data = READERS[reader](io.BytesIO(text.encode()), batch_rows=64)
    batches = list(data.batches())
    columns = {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}
    return columns, data.warnings


@pytest.mark.parametrize("reader", sorted(READERS))
def test_the_counter_column_is_handed_on(reader: str) -> None:
    data = READERS[reader](io.BytesIO(_cycle().encode()))
    assert data.columns == {
        "current": "current_a",
        "voltage": "voltage_v",
        "capacity_counter": "capacity_counter_ah",
    }
    assert data.units["capacity_counter"] == "Ah"
    columns, warnings = _read(_cycle(), reader)
    assert columns["capacity_counter_ah"][99] == pytest.approx(2.0 * 36 * 99 / 3600)
    assert not any("ignored column" in w for w in warnings)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_blank_counter_is_nan(reader: str) -> None:
    text = HEADER + "0,1,3.3,1,1,\n36,1,3.31,1,1,0.01\n"
    columns, _ = _read(text, reader)
    assert np.isnan(columns["capacity_counter_ah"][0])
    assert columns["capacity_counter_ah"][1] == 0.01


def test_the_counter_confirms_a_current_in_amps() -> None:
    figures = measure(io.BytesIO(_cycle().encode()), nominal_capacity_ah=4.0)
    assert figures.counter_check["column"] == "capacity_counter_ah"
    assert figures.counter_check["ratio"] == pytest.approx(1.0, abs=0.01)


def test_milliamps_under_the_amps_header_are_refused_naming_both_columns() -> None:
    text = _cycle(current_scale=1000.0)  # 2000 "A": within range, 1000 times the counter
    with pytest.raises(TestDataError) as caught:
        measure(io.BytesIO(text.encode()), nominal_capacity_ah=4.0)
    assert "'current_a'" in str(caught.value) and "'capacity_counter_ah'" in str(caught.value)


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("tail", ["1800,-2.0,3.6", "1800,-2.0,3.6,1,", "1800,-2.0,3.6,1,2,0.5e-"])
def test_a_torn_last_row_is_left_out_with_a_warning(reader: str, tail: str) -> None:
    whole = _cycle(50)
    columns, warnings = _read(whole + tail, reader)
    assert len(columns["time_s"]) == 50
    assert [w for w in warnings if w.startswith("row 52: the last row is incomplete")], warnings


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_torn_row_inside_the_file_is_an_error_naming_its_line(reader: str) -> None:
    lines = _cycle(50).splitlines(keepends=True)
    lines[20] = "720,2.0,3.38\n"
    data = READERS[reader](io.BytesIO("".join(lines).encode()))
    with pytest.raises(TestDataError, match="row 21: expected 6 fields, found 3"):
        list(data.batches())


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_short_last_row_with_its_line_end_is_still_an_error(reader: str) -> None:
    data = READERS[reader](io.BytesIO((_cycle(10) + "360,2.0,3.38\n").encode()))
    with pytest.raises(TestDataError, match="row 12: expected 6 fields, found 3"):
        list(data.batches())
