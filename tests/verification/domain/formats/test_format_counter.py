"""The cycler's own capacity counter, handed on by every reader whose format has one, agrees
with the integrated current on the real files; a current in milliamps under an amps header is
refused by `measure` naming both columns.

The agreement is computed here, independently of verification/domain/counter.py: for each pair
of consecutive samples that are both charge or both discharge and where the counter did not
fall, the trapezoid integral of |current| over the pair against the counter's increase.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from verification.domain import TestDataError
from verification.domain.measure import measure

GCPL = "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"
ARBIN_XLSX = "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
NDAX = "20260302_IFE_BTS85_2_9_8_1.ndax"
# file -> the counter column(s) TestData.columns names
COUNTERS = {
    "arbin_example.csv": "Charge_Capacity + Discharge_Capacity",
    ARBIN_XLSX: "Charge_Capacity(Ah) + Discharge_Capacity(Ah)",
    "xTESLADIAG_000019_CH70.070": "Amp-hr",
    "maccor_001.txt": "Amp-hr",
    "maccor_002.txt": "Cap. [Ah]",
    "neware_uio.csv": "Capacity(Ah)",
    NDAX: "Charge_Capacity(mAh) + Discharge_Capacity(mAh)",
    "biol.mpr": "Q charge/discharge/mA.h",
    GCPL: "Q charge/discharge/mA.h",
}


def _agreement(columns: dict[str, np.ndarray]) -> tuple[float, float]:
    time, current = columns["time_s"], columns["current_a"]
    counter = columns["capacity_counter_ah"]
    rest = 0.02 * np.abs(current).max()
    direction = np.where(current > rest, 1, np.where(current < -rest, -1, 0))
    same = (direction[1:] == direction[:-1]) & (direction[1:] != 0)
    rise = np.diff(counter)
    counted = same & np.isfinite(rise) & (rise >= 0)
    integrated = np.abs(current[1:] + current[:-1]) / 2 * np.diff(time) / 3600
    return float(integrated[counted].sum()), float(rise[counted].sum())


@pytest.mark.parametrize("name", sorted(COUNTERS))
def test_every_reader_hands_on_the_counter_and_it_agrees_with_the_current(
    cycler, name: str
) -> None:
    data, columns = cycler.read(name)
    assert data.columns["capacity_counter"] == COUNTERS[name]
    assert {"current", "voltage"} <= set(data.columns)
    assert "capacity_counter" in data.units
    assert "capacity_counter_ah" in columns
    integrated, counted = _agreement(columns)
    assert counted > 0
    assert integrated == pytest.approx(counted, rel=0.03), (integrated, counted)


def _slice_with_current_times_1000(raw: bytes, rows: int, column: int, sep: bytes) -> bytes:
    """The header and the first `rows` rows, the current multiplied by 1000: what an export
    in mA under an amps header looks like (the slices stay below 5 A, so below the 5000 A
    range check, and only the counter can tell)."""
    lines = raw.split(b"\n")
    header = next(i for i, line in enumerate(lines) if b"Current" in line or b"Amps" in line)
    out = lines[: header + 1]
    for line in lines[header + 1 : header + 1 + rows]:
        fields = line.split(sep)
        fields[column] = repr(float(fields[column]) * 1000).encode()
        out.append(sep.join(fields))
    return b"\n".join(out) + b"\n"


@pytest.mark.parametrize(
    ("name", "column", "sep", "current", "counter"),
    [
        ("arbin_example.csv", 6, b",", "Current", "Charge_Capacity + Discharge_Capacity"),
        ("maccor_001.txt", 7, b"\t", "Amps", "Amp-hr"),
    ],
)
def test_milliamps_under_an_amps_header_are_refused_naming_both_columns(
    cycler, name: str, column: int, sep: bytes, current: str, counter: str
) -> None:
    raw = _slice_with_current_times_1000(cycler.path(name).read_bytes(), 900, column, sep)
    with pytest.raises(TestDataError) as caught:
        measure(io.BytesIO(raw), nominal_capacity_ah=1.1, filename=name)
    message = str(caught.value)
    assert f"'{current}'" in message and f"'{counter}'" in message
    assert "1000" in message or "milli" in message


def test_the_same_slice_in_amps_passes_the_counter_check(cycler) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    head = b"\n".join(raw.split(b"\n")[:901]) + b"\n"
    figures = measure(io.BytesIO(head), nominal_capacity_ah=1.1, filename="arbin_example.csv")
    assert figures.counter_check is not None
    assert figures.counter_check["ratio"] == pytest.approx(1.0, abs=0.03)
