"""BioLogic .mpr (galvani) and .mpt text."""

import io
import itertools

import numpy as np
import pytest

from verification.domain import TestDataError
from verification.domain.formats import detect_format, read_test_data

MPR = "biol.mpr"
MPT = "exampleDataBioLogic.mpt"


def test_mpr_passed_charge_matches_galvani_reference(cycler, reference) -> None:
    data, columns = cycler.read(MPR)
    expected = reference[MPR]
    assert data.format == "biologic_mpr"
    assert len(columns["time_s"]) == expected["galvani"]["rows"]
    # A stepwise oxidation, not cycling: the reference has no discharge capacity
    # (max_discharge_capacity_Ah is null), only the charge passed, (Q-Qo) = +4.977 mAh.
    # EC-Lab's sign (positive = oxidation) is kept, so the signed integral is positive.
    time, current = columns["time_s"], columns["current_a"]
    passed_ah = float(np.sum(0.5 * (current[1:] + current[:-1]) * np.diff(time))) / 3600
    assert passed_ah * 1000 == pytest.approx(expected["galvani"]["total_(Q-Qo)_end_mAh"], rel=0.005)
    # cellpy reports the same net charge (4.977 mAh) and calls it "discharge"; here it is
    # positive current. The small negative excursions (down to -0.11 mA) are the only discharge.
    cellpy = expected["cellpy_biologics_mpr"]["per_cycle_mAh"]["1"]["discharge_capacity_absolute"]
    assert passed_ah * 1000 == pytest.approx(cellpy, rel=0.005)
    charged = cycler.charge_ah(columns, columns["cycle"])[0]
    assert 0 < cycler.discharge_ah(columns, columns["cycle"])[0] < 0.01 * charged


def test_mpr_units_and_missing_cycle_counter(cycler) -> None:
    data, columns = cycler.read(MPR)
    assert data.units == {
        "current": "mA",
        "voltage": "V",
        "time": "s",
        "capacity_counter": "mAh (Q charge/discharge/mA.h)",
        "discharge_sign": "negative (EC-Lab: positive current oxidises the working electrode)",
    }
    assert data.warnings == [
        "BioLogic .mpr: no 'cycle number' column, so every sample is in cycle 0; cycles can be "
        "re-derived from the current direction"
    ]
    assert np.all(columns["cycle"] == 0)
    assert set(np.unique(columns["step"])) <= set(range(12))  # the Ns sequence number
    assert data.metadata["start"].startswith("2017-03-15")
    assert columns["current_a"].max() == pytest.approx(0.3252074e-3, rel=1e-6)


def test_mpt_impedance_spectrum_is_refused(cycler, reference) -> None:
    # Not a battery and not cycling (reference: impedance only, no capacity).
    raw = cycler.path(MPT).read_bytes()
    assert reference[MPT]["max_discharge_capacity_Ah"] is None
    assert detect_format(raw[:65536], MPT) == "biologic_mpt"
    with pytest.raises(TestDataError, match="impedance spectroscopy record"):
        read_test_data(io.BytesIO(raw), filename=MPT)


def _as_mpt(columns: dict, comma: bool = False) -> bytes:
    """A GCPL-like .mpt rendition of the .mpr's samples (EC-Lab writes the same columns)."""
    names = ["mode", "time/s", "Ewe/V", "I/mA", "cycle number", "Ns"]
    lines = ["EC-Lab ASCII FILE", "Nb header lines : 4", "", "\t".join(names) + "\t"]
    for t, v, i, s in zip(
        columns["time_s"],
        columns["voltage_v"],
        columns["current_a"] * 1000,
        columns["step"],
        strict=True,
    ):
        lines.append(f"1\t{float(t)!r}\t{float(v)!r}\t{float(i)!r}\t0.000000000000000E+000\t{s}\t")
    text = "\r\n".join(lines) + "\r\n"
    if comma:
        text = text.replace(".", ",")
    return text.encode("latin-1")


@pytest.mark.parametrize("comma", [False, True])
def test_mpt_text_gives_the_mpr_samples(cycler, comma: bool) -> None:
    columns = cycler.read(MPR)[1]
    raw = _as_mpt({k: v[:3000] for k, v in columns.items()}, comma)
    data, text_columns = cycler.read_bytes(raw, "gcpl.mpt", batch_rows=1000)
    assert data.format == "biologic_mpt"
    assert data.warnings == []  # it has a cycle number column
    for key in ("time_s", "voltage_v", "current_a", "step"):
        np.testing.assert_allclose(text_columns[key], columns[key][:3000], rtol=1e-12)


def test_mpt_header_count_past_the_file(cycler) -> None:
    raw = cycler.path(MPT).read_bytes()[:1500]
    with pytest.raises(TestDataError, match="'Nb header lines : 61' points past"):
        read_test_data(io.BytesIO(raw), filename=MPT)


def test_mpt_without_current() -> None:
    raw = b"EC-LAB ASCII FILE\nNb header lines : 4\n\ntime/s\tEwe/V\n0\t3.3\n"
    with pytest.raises(TestDataError, match="no 'I/mA' column"):
        read_test_data(io.BytesIO(raw), filename="x.mpt")


GCPL = "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"


def _half_cycle_discharges(columns: dict) -> list[float]:
    """mAh of each discharge run (negative current, rests ignored), in order."""
    time, current = columns["time_s"], columns["current_a"]
    moving = np.flatnonzero(np.abs(current) > 1e-6)
    runs, total, last = [], 0.0, 0
    for a, b in itertools.pairwise(moving):
        if current[a] < 0 and current[b] < 0:
            total += -(current[a] + current[b]) / 2 * (time[b] - time[a]) / 3.6
        direction = np.sign(current[b])
        if direction != last and last < 0 and total:
            runs.append(total)
            total = 0.0
        last = direction
    if total:
        runs.append(total)
    return runs


def test_gcpl_mpr_without_i_ma_derives_the_current_from_dq(cycler, reference) -> None:
    data, columns = cycler.read(GCPL)
    ref = reference[GCPL]
    assert "I/mA" not in ref["columns"] and "dq/mA.h" in ref["columns"]
    assert data.units["current"].startswith("mA (derived from dq/mA.h")
    assert "signed by ox/red" in data.units["current"]
    assert any("no I/mA column; the current was derived" in w for w in data.warnings)
    assert len(columns["time_s"]) == ref["galvani"]["rows"]
    # galvanostatic at +-0.0888 mA (control/V/mA), so the derived current is that set-point
    # (but for the few samples whose interval straddles a step change)
    moving = np.abs(columns["current_a"][np.abs(columns["current_a"]) > 1e-5]) * 1000
    assert np.mean(np.abs(moving / 0.0888 - 1) < 0.003) > 0.999
    expected = ref["per_half_cycle_discharge_mAh_instrument_counter"]
    discharges = _half_cycle_discharges(columns)
    # the first partial discharge (half cycle 0), then one per odd half cycle
    assert len(discharges) == 1 + len(expected)
    halves = sorted(expected, key=int)
    for measured, half in zip(discharges[1:], halves, strict=True):
        assert measured == pytest.approx(expected[half], rel=0.005), half


def _gcpl_array(names: tuple[str, ...], rows: int = 120) -> np.ndarray:
    """A structured array like galvani's for a GCPL record: 60 s charge at 1 mA, 60 s discharge."""
    dtype = [(name, np.float64) for name in names]
    data = np.zeros(rows, dtype=dtype)
    time = np.arange(rows) * 1.0
    amps_ma = np.where(np.arange(rows) < rows // 2, 1.0, -1.0)
    data["time/s"] = time
    data["Ewe/V"] = 3.5 + 0.001 * np.arange(rows)
    if "dq/mA.h" in names:
        data["dq/mA.h"] = np.concatenate(([0.0], amps_ma[1:] * 1.0 / 3600))
    if "(Q-Qo)/mA.h" in names:
        data["(Q-Qo)/mA.h"] = np.cumsum(np.concatenate(([0.0], amps_ma[1:] / 3600)))
    if "control/mA" in names:
        data["control/mA"] = amps_ma
    if "ox/red" in names:
        data["ox/red"] = amps_ma > 0
    return data


class _FakeMpr:
    def __init__(self, data: np.ndarray) -> None:
        self.data = data


@pytest.mark.parametrize(
    ("names", "source"),
    [
        (("time/s", "Ewe/V", "(Q-Qo)/mA.h", "ox/red"), "derived from (Q-Qo)/mA.h differences"),
        (("time/s", "Ewe/V", "control/mA"), "the set-point control/mA"),
    ],
)
def test_gcpl_without_i_ma_or_dq(monkeypatch, names: tuple[str, ...], source: str) -> None:
    from galvani import BioLogic

    monkeypatch.setattr(BioLogic, "MPRfile", lambda stream: _FakeMpr(_gcpl_array(names)))
    data = read_test_data(io.BytesIO(b"BIO-LOGIC MODULAR FILE"), filename="x.mpr")
    assert source in data.units["current"]
    current = np.concatenate([b["current_a"] for b in data.batches()])
    np.testing.assert_allclose(current[1:59], 1e-3, rtol=1e-9)
    np.testing.assert_allclose(current[61:], -1e-3, rtol=1e-9)
    if "control/mA" in names:
        assert any("set-point 'control/mA', not a measured current" in w for w in data.warnings)


def test_gcpl_mpt_without_i_ma_uses_dq_and_the_ox_red_column(cycler) -> None:
    names = ["mode", "ox/red", "time/s", "Ewe/V", "dq/mA.h", "Q charge/discharge/mA.h", "Ns"]
    lines = ["EC-Lab ASCII FILE", "Nb header lines : 4", "", "\t".join(names)]
    q = 0.0
    for i in range(100):
        charging = i < 50
        dq = (2.0 if charging else -2.0) * 10 / 3600 if i else 0.0  # 2 mA, 10 s apart
        q = q + dq if (i != 50) else dq
        lines.append(f"1\t{int(charging)}\t{i * 10}\t3.5\t{dq!r}\t{q!r}\t{0 if charging else 1}")
    raw = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    data, columns = cycler.read_bytes(raw, "gcpl.mpt")
    assert data.units["current"].startswith("mA (derived from dq/mA.h")
    assert "signed by ox/red" in data.units["current"]
    np.testing.assert_allclose(columns["current_a"][1:50], 2e-3, rtol=1e-9)
    np.testing.assert_allclose(columns["current_a"][51:], -2e-3, rtol=1e-9)
    assert data.columns["capacity_counter"] == "Q charge/discharge/mA.h"
    assert columns["capacity_counter_ah"][49] == pytest.approx(49 * 2.0 * 10 / 3600 / 1000)
