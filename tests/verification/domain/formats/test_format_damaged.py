"""Truncated and corrupted copies of every sample file fail with TestDataError, never another
exception, whether the damage shows while opening the file or while streaming its batches.

A text file cut exactly at a line end is a shorter valid file and cannot be told from one, so the
targeted cuts fall inside a row. A file cut inside its last row (an upload or copy that stopped
early) is read without that row and says so; the same torn row inside the file is an error.
"""

import io
import zipfile

import numpy as np
import pytest

from verification.domain import TestDataError
from verification.domain.formats import read_test_data

# file -> (separator, index of the current column, index of the voltage column)
TEXT = {
    "arbin_example.csv": (b",", 6, 7),
    "xTESLADIAG_000019_CH70.070": (b"\t", 7, 8),
    "maccor_001.txt": (b"\t", 7, 8),
    "maccor_002.txt": (b"\t", 8, 9),
    "neware_uio.csv": (b",", 6, 7),
}


def _read_everything(raw: bytes, name: str) -> int:
    data = read_test_data(io.BytesIO(raw), filename=name, batch_rows=2000)
    return sum(len(batch["time_s"]) for batch in data.batches())


def _row_start(raw: bytes, share: float) -> int:
    """Offset of the first line that starts after `share` of the file."""
    return raw.index(b"\n", int(len(raw) * share)) + 1


def _field_start(raw: bytes, row: int, sep: bytes, index: int) -> int:
    at = row
    for _ in range(index):
        at = raw.index(sep, at) + 1
    return at


def _read_with_warnings(raw: bytes, name: str) -> tuple[int, list[str]]:
    data = read_test_data(io.BytesIO(raw), filename=name, batch_rows=2000)
    rows = sum(len(batch["time_s"]) for batch in data.batches())
    return rows, data.warnings


@pytest.mark.parametrize("name", sorted(TEXT))
@pytest.mark.parametrize("where", ["after a separator", "inside a number"])
def test_a_torn_last_row_is_left_out_with_a_warning_naming_its_line(
    cycler, name: str, where: str
) -> None:
    raw = cycler.path(name).read_bytes()
    sep, current, _ = TEXT[name]
    row = _row_start(raw, 0.6)
    cut = _field_start(raw, row, sep, current)
    if where == "inside a number":
        cut = raw.index(sep, cut) - 2  # the current's last two digits are lost
    line = raw[:row].count(b"\n") + 1
    rows, warnings = _read_with_warnings(raw[:cut], name)
    whole_rows, _ = _read_with_warnings(raw[:row], name)
    assert rows == whole_rows  # the rows before the torn one, all of them
    torn = [w for w in warnings if "last row is incomplete" in w]
    assert len(torn) == 1 and f"line {line}:" in torn[0], warnings


@pytest.mark.parametrize("name", sorted(TEXT))
def test_a_torn_row_inside_the_file_is_an_error_naming_its_line(cycler, name: str) -> None:
    raw = cycler.path(name).read_bytes()
    sep, current, _ = TEXT[name]
    row = _row_start(raw, 0.6)
    cut = _field_start(raw, row, sep, current)
    damaged = raw[:cut] + raw[raw.index(b"\n", cut) :]  # the rest of that row is lost
    line = raw[:row].count(b"\n") + 1
    with pytest.raises(TestDataError, match=rf"line {line}: no value in ") as caught:
        _read_everything(damaged, name)
    assert "truncated" not in str(caught.value)
    assert caught.value.row == line


@pytest.mark.parametrize("name", sorted(TEXT))
def test_cut_inside_the_header(cycler, name: str) -> None:
    raw = cycler.path(name).read_bytes()
    header_end = raw.index(b"Volt") if b"Volt" in raw[:4000] else raw.index(b"Current")
    with pytest.raises(TestDataError):
        _read_everything(raw[:header_end], name)


@pytest.mark.parametrize("name", sorted(TEXT))
def test_garbage_in_a_voltage_field(cycler, name: str) -> None:
    raw = cycler.path(name).read_bytes()
    sep, _, voltage = TEXT[name]
    start = _field_start(raw, _row_start(raw, 0.3), sep, voltage)
    end = raw.index(sep, start)
    damaged = raw[:start] + b"\x00#!" + raw[end:]
    with pytest.raises(TestDataError, match=r"line \d+: '.*' is '\\x00#!', not a number") as caught:
        _read_everything(damaged, name)
    assert caught.value.row is not None


@pytest.mark.parametrize("name", [*sorted(TEXT), "exampleDataBioLogic.mpt"])
def test_any_cut_reads_or_raises_test_data_error(cycler, name: str) -> None:
    raw = cycler.path(name).read_bytes()
    outcomes = set()
    for cut in np.linspace(1, len(raw) - 1, 23).astype(int):
        try:
            _read_everything(raw[: int(cut)], name)
            outcomes.add("read")
        except TestDataError:
            outcomes.add("refused")
    assert "refused" in outcomes


@pytest.mark.parametrize("share", [0.0001, 0.5, 0.99999])
def test_truncated_mpr(cycler, share: float) -> None:
    raw = cycler.path("biol.mpr").read_bytes()
    with pytest.raises(TestDataError, match="galvani could not read the file"):
        _read_everything(raw[: int(len(raw) * share)], "biol.mpr")


def test_corrupted_mpr(cycler) -> None:
    raw = bytearray(cycler.path("biol.mpr").read_bytes())
    header = raw.copy()
    header[100:164] = b"\xff" * 64  # inside the settings module's header
    with pytest.raises(TestDataError, match="galvani could not read the file"):
        _read_everything(bytes(header), "biol.mpr")
    middle = len(raw) // 2
    raw[middle : middle + 4096] = b"\xff" * 4096  # NaN in every column of ~30 records
    with pytest.raises(TestDataError, match=r"BioLogic \.mpr, row \d+: .* not finite"):
        _read_everything(bytes(raw), "biol.mpr")


@pytest.mark.parametrize("share", [0.001, 0.5, 0.9999])
def test_truncated_ndax(cycler, share: float) -> None:
    name = "20260302_IFE_BTS85_2_9_8_1.ndax"
    raw = cycler.path(name).read_bytes()
    with pytest.raises(TestDataError, match="NewareNDA could not read the file"):
        _read_everything(raw[: int(len(raw) * share)], name)


def test_corrupted_ndax(cycler) -> None:
    name = "20260302_IFE_BTS85_2_9_8_1.ndax"
    raw = bytearray(cycler.path(name).read_bytes())
    entry = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo("data.ndc")
    middle = entry.header_offset + 100 + entry.compress_size // 2
    raw[middle : middle + 64] = bytes(64)
    with pytest.raises(TestDataError, match="NewareNDA could not read the file"):
        _read_everything(bytes(raw), name)


def _gcpl_mpt(rows: int) -> bytes:
    names = ["mode", "time/s", "Ewe/V", "I/mA", "cycle number", "Ns"]
    lines = ["EC-Lab ASCII FILE", "Nb header lines : 4", "", "\t".join(names)]
    lines += [f"1\t{i * 10}\t{3.5 + i * 0.001:.4f}\t{1.25 if i < rows // 2 else -1.25}\t0\t1"
              for i in range(rows)]  # fmt: skip
    return ("\r\n".join(lines)).encode("latin-1")


def test_mpt_torn_last_row_is_left_out_and_named() -> None:
    raw = _gcpl_mpt(40)
    cut = raw[: raw.rindex(b"\t", 0, raw.rindex(b"\t")) - 1]  # inside the last row's I/mA
    rows, warnings = _read_with_warnings(cut, "gcpl.mpt")
    assert rows == 39
    assert any(w.startswith("BioLogic .mpt, line 44: the last row is incomplete") for w in warnings)
