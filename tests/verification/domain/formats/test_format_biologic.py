"""BioLogic .mpr (galvani) and .mpt text."""

import io

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
