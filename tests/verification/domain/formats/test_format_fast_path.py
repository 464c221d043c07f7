"""The vendor readers' two paths agree: pyarrow's columnar fast path hands over the same rows
as the careful text path, and at its first doubt the careful path carries on from the next row,
with its own message, line number and nothing handed over twice."""

import csv
import io
import re

import numpy as np
import pytest

from verification.domain import TestDataError
from verification.domain.formats import _rows, read_test_data

TEXT_FILES = [
    "arbin_example.csv",
    "xTESLADIAG_000019_CH70.070",
    "maccor_001.txt",
    "maccor_002.txt",
    "neware_uio.csv",
]


def columns(raw: bytes, name: str) -> dict[str, np.ndarray]:
    data = read_test_data(io.BytesIO(raw), filename=name, batch_rows=5000)
    batches = list(data.batches())
    return {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}


def _doubting(*args, **kwargs):
    raise _rows._Doubt
    yield  # a generator, like the path it stands in for


def _refusing(*args, **kwargs):
    raise AssertionError("the careful path was taken")
    yield


@pytest.fixture
def careful_only(monkeypatch):
    monkeypatch.setattr(_rows, "_fast_chunks", _doubting)


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(_rows, "_ARROW_CHUNK_BYTES", 32 * 1024)


@pytest.mark.parametrize("name", TEXT_FILES)
def test_both_paths_read_the_same_samples(cycler, name, request, small_blocks) -> None:
    raw = cycler.path(name).read_bytes()
    fast = columns(raw, name)
    request.getfixturevalue("careful_only")
    careful = columns(raw, name)
    assert fast.keys() == careful.keys()
    for key in fast:
        # pyarrow and pandas may round a decimal text to neighbouring doubles; nothing more.
        np.testing.assert_allclose(fast[key], careful[key], rtol=1e-14, atol=0, err_msg=key)


def test_a_bad_value_far_into_the_file_gets_the_careful_message(cycler, small_blocks) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    lines = raw.splitlines(keepends=True)
    line_number = len(lines) - 100  # well past the first 32 kB block
    assert sum(map(len, lines[: line_number - 1])) > 4 * 32 * 1024
    fields = lines[line_number - 1].split(b",")
    fields[7] = b"3.3O"  # a letter O for a zero, in Voltage
    lines[line_number - 1] = b",".join(fields)
    damaged = b"".join(lines)
    with pytest.raises(TestDataError, match=rf"line {line_number}: 'Voltage' is '3.3O'"):
        columns(damaged, "arbin_example.csv")


def test_after_a_doubt_no_row_is_lost_or_repeated(cycler, small_blocks) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    lines = raw.splitlines(keepends=True)
    # A row with one field too many makes pyarrow doubt; pandas reads the needed columns.
    lines[-300] = lines[-300].rstrip(b"\r\n") + b",extra\n"
    damaged = b"".join(lines)
    got = columns(damaged, "arbin_example.csv")
    expected = columns(raw, "arbin_example.csv")
    np.testing.assert_array_equal(got["time_s"], expected["time_s"])
    np.testing.assert_array_equal(got["voltage_v"], expected["voltage_v"])


@pytest.fixture
def fast_only(monkeypatch):
    monkeypatch.setattr(_rows, "_careful_chunks", _refusing)


def _quoted(raw: bytes) -> bytes:
    """Every data field in double quotes, as R's write.csv and many exporters write them."""
    header, _, rows = raw.partition(b"\n")
    lines = rows.decode("utf-8").splitlines()
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        next(csv.reader([line])) for line in lines if line
    )
    return header + b"\n" + out.getvalue().encode("utf-8")


@pytest.mark.parametrize("name", ["arbin_example.csv", "neware_uio.csv"])
def test_quoted_fields_stay_on_the_columnar_path(cycler, name, small_blocks, request) -> None:
    raw = cycler.path(name).read_bytes()
    plain = columns(raw, name)
    request.getfixturevalue("fast_only")
    quoted = columns(_quoted(raw), name)
    assert quoted.keys() == plain.keys()
    for key in plain:
        np.testing.assert_array_equal(quoted[key], plain[key], err_msg=key)


def test_a_quoted_value_spanning_lines_goes_to_the_careful_path(cycler, small_blocks) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    lines = raw.splitlines(keepends=True)
    fields = lines[-300].split(b",")
    fields[2] = b'"1499006353\n"'  # DateTime, a column no reader uses, across two lines
    lines[-300] = b",".join(fields)
    expected = columns(raw, "arbin_example.csv")
    got = columns(b"".join(lines), "arbin_example.csv")
    np.testing.assert_array_equal(got["time_s"], expected["time_s"])
    np.testing.assert_array_equal(got["voltage_v"], expected["voltage_v"])


def _decimal_commas(raw: bytes) -> bytes:
    """A tab-separated export as a German-locale cycler writes it: decimal commas in its
    numbers and durations (its dates stay as they are)."""
    text = raw.decode("latin-1")
    return re.sub(r"(?<=[\t:-])(\d+)\.(\d+)(?=[\t\r\n])", r"\1,\2", text).encode("latin-1")


def test_decimal_commas_read_as_the_points_do(cycler) -> None:
    name = "maccor_001.txt"
    raw = cycler.path(name).read_bytes()
    plain, commas = columns(raw, name), columns(_decimal_commas(raw), name)
    assert commas.keys() == plain.keys()
    for key in plain:
        np.testing.assert_array_equal(commas[key], plain[key], err_msg=key)


def test_decimal_commas_stay_on_the_columnar_path(cycler, monkeypatch) -> None:
    name = "maccor_001.txt"
    raw = _decimal_commas(cycler.path(name).read_bytes())
    with monkeypatch.context() as patch:
        patch.setattr(_rows, "_fast_chunks", _doubting)
        careful = columns(raw, name)
    monkeypatch.setattr(_rows, "_careful_chunks", _refusing)
    fast = columns(raw, name)
    assert fast.keys() == careful.keys()
    for key in fast:
        np.testing.assert_allclose(fast[key], careful[key], rtol=1e-14, atol=0, err_msg=key)


def test_a_doubted_chunk_is_read_carefully_alone(cycler, small_blocks, monkeypatch) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    lines = raw.splitlines(keepends=True)
    # A row with one field too many, well into the file: valid, but pyarrow doubts its chunk.
    lines[len(lines) // 2] = lines[len(lines) // 2].rstrip(b"\r\n") + b",extra\n"
    damaged = b"".join(lines)
    careful = _rows._careful_chunks
    read = []

    def recorded(stream, origin, table, rows):
        stream.seek(0, io.SEEK_END)
        read.append(stream.tell() - origin - table.offset)
        yield from careful(stream, origin, table, rows)

    monkeypatch.setattr(_rows, "_careful_chunks", recorded)
    got = columns(damaged, "arbin_example.csv")
    assert len(read) == 1 and read[0] <= 32 * 1024 + 1024  # one chunk, not the rest of the file
    assert len(damaged) > 8 * 32 * 1024
    expected = columns(raw, "arbin_example.csv")
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_a_bad_value_after_a_doubted_chunk_names_its_line(cycler, small_blocks) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    lines = raw.splitlines(keepends=True)
    lines[100] = lines[100].rstrip(b"\r\n") + b",extra\n"  # read carefully, then fast again
    line_number = len(lines) - 100
    fields = lines[line_number - 1].split(b",")
    fields[7] = b"3.3O"
    lines[line_number - 1] = b",".join(fields)
    with pytest.raises(TestDataError, match=rf"line {line_number}: 'Voltage' is '3.3O'"):
        columns(b"".join(lines), "arbin_example.csv")
