"""Format detection from content, the declared format, and the messages for unknown files."""

import ast
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

import verification
from verification.domain import TestDataError, synthetic_cycling_csv
from verification.domain.formats import FORMATS, detect_format, read_test_data

EXPECTED = {
    "arbin_example.csv": "arbin_csv",
    "xTESLADIAG_000019_CH70.070": "maccor_txt",
    "maccor_001.txt": "maccor_txt",
    "maccor_002.txt": "maccor_txt",
    "neware_uio.csv": "neware_csv",
    "20260302_IFE_BTS85_2_9_8_1.ndax": "neware_ndax",
    "biol.mpr": "biologic_mpr",
    "exampleDataBioLogic.mpt": "biologic_mpt",
    "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr": "biologic_mpr",
    # a workbook's first bytes do not say whose it is: its sheets decide when it is read
    "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx": "arbin_xlsx",
}
SLUGS = [slug for slug, _ in FORMATS]
CANONICAL = synthetic_cycling_csv(
    chemistry="NMC", nominal_capacity_ah=50, cells_series=12, soh_pct=85, cycles=2
)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_copied_file_is_detected_by_its_content(cycler, name: str) -> None:
    head = cycler.path(name).read_bytes()[: 1 << 16]
    assert detect_format(head, name) == EXPECTED[name]
    assert detect_format(head) == EXPECTED[name]  # the name is only a hint


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_copied_files_are_the_referenced_bytes(cycler, reference, name: str) -> None:
    digest = hashlib.sha256(cycler.path(name).read_bytes()).hexdigest()
    assert digest == reference[name]["sha256"]


@pytest.mark.parametrize(
    "header",
    [
        "time_s,current_a,voltage_v,cycle,step",
        "time_min,current_ma,voltage_mv,temperature_c,cycle,step",
        "\ufeffTime_h, Current_A ,voltage_v,cycle,step,cell_1_v",
        "time_ms,voltage_v,current_a,step,cycle",
    ],
)
def test_canonical_csv_is_detected_by_its_header(header: str) -> None:
    head = (header + "\n0,1,3.3,1,1\n").encode()
    assert detect_format(head, "upload.txt") == "canonical_csv"


def test_a_header_without_current_is_not_canonical() -> None:
    with pytest.raises(TestDataError, match="unrecognised"):
        detect_format(b"time_s,voltage_v,cycle,step\n0,3.3,1,1\n")


def test_canonical_csv_is_read_by_the_fast_reader() -> None:
    pytest.importorskip(
        "verification.domain.canonical_fast", reason="canonical_fast.py is not written yet"
    )
    data = read_test_data(io.BytesIO(CANONICAL.encode()), filename="pack.csv", batch_rows=1000)
    assert data.format == "canonical_csv"
    batches = list(data.batches())
    assert len(batches) > 1
    assert sum(len(b["time_s"]) for b in batches) == CANONICAL.count("\n") - 1


def test_declared_format_overrides_detection(cycler) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    # The content is Arbin; the declared reader is used all the same and says what it missed.
    with pytest.raises(TestDataError, match=r"^Maccor export: no tab-separated header"):
        read_test_data(io.BytesIO(raw), filename="a.csv", declared_format="maccor_txt")
    with pytest.raises(TestDataError, match=r"^BMS snapshot"):
        read_test_data(io.BytesIO(raw), declared_format="bms_snapshot")
    # A misleading extension does not matter when the format is declared.
    data = read_test_data(io.BytesIO(raw), filename="run.mpr", declared_format="arbin_csv")
    assert data.format == "arbin_csv"
    # "auto" (the form's choice) means: detect.
    assert read_test_data(io.BytesIO(raw), declared_format="auto").format == "arbin_csv"


def test_an_unknown_declared_format_lists_the_supported_ones() -> None:
    with pytest.raises(TestDataError, match="unknown declared format 'digatron'") as caught:
        read_test_data(io.BytesIO(b"x"), declared_format="digatron")
    assert all(slug in str(caught.value) for slug in SLUGS)


@pytest.mark.parametrize(
    "raw",
    [
        b"hello, world\nthis is not test data\n",
        bytes(range(256)) * 64,
        b'{"pack": "no cell voltages here"}',
    ],
)
def test_an_unknown_file_lists_the_supported_formats(raw: bytes) -> None:
    with pytest.raises(TestDataError, match="unrecognised test-data format") as caught:
        read_test_data(io.BytesIO(raw), filename="upload.dat")
    assert all(slug in str(caught.value) for slug in SLUGS)


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"\x00\x01\x00\x00Standard Jet DB\x00" + bytes(200), "Arbin .res"),
        (b"\x89HDF\r\n\x1a\n" + bytes(200), "HDF5"),
        (b"[Summary]\nNovonix HPC data file\nNovonix\n", "Novonix"),
        (b"Request Year:,2019\nTest:,187\nTestRegime Name:,SAFT\n", "PEC"),
    ],
)
def test_known_but_unsupported_files_say_what_to_do(head: bytes, what: str) -> None:
    with pytest.raises(TestDataError, match=what) as caught:
        detect_format(head, "x")
    assert "canonical CSV" in str(caught.value)


def test_the_extension_explains_a_damaged_binary() -> None:
    with pytest.raises(TestDataError, match=r"named '\*\.mpr' but does not look like a BioLogic"):
        read_test_data(io.BytesIO(b"\x00\x13 garbage" * 10), filename="cell.MPR")


def test_an_empty_file() -> None:
    with pytest.raises(TestDataError, match="empty"):
        read_test_data(io.BytesIO(b""), filename="x.csv")


def test_a_zip_that_is_neither_workbook_nor_ndax() -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(TestDataError, match="ZIP archive"):
        read_test_data(io.BytesIO(buffer.getvalue()), filename="x.zip")


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like a socket."""

    def __init__(self, raw: bytes) -> None:
        self._inner = io.BytesIO(raw)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_that_cannot_seek_is_spooled(cycler) -> None:
    raw = cycler.path("arbin_example.csv").read_bytes()
    data = read_test_data(_Pipe(raw), filename="a.csv")
    columns = cycler.columns(data)
    assert len(columns["time_s"]) == 2142
    assert np.all(np.diff(columns["time_s"]) >= 0)


def test_formats_match_the_upload_form_choices() -> None:
    # verification/choices.py is Django code; read its literals without importing Django.
    source = Path(verification.__file__).with_name("choices.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    choices = next(
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == "TestDataFormat"
    )
    pairs = [
        ast.literal_eval(node.value)
        for node in choices.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)
    ]
    assert tuple(pair for pair in pairs if pair[0] != "auto") == FORMATS
