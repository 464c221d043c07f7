"""Zip containers are checked before they are inflated: a small file that would expand to
gigabytes is refused at once, with a reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from verification.domain import TestDataError
from verification.domain.formats import read_test_data
from verification.domain.formats._zipped import check_expansion


def bomb(member_bytes: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/sharedStrings.xml", "w") as member:
            chunk = b"<si><t>" + b"A" * 1_000_000 + b"</t></si>"
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("declared", ["auto", "arbin_xlsx", "neware_xlsx", "neware_ndax"])
def test_a_highly_compressed_member_is_refused_before_unpacking(declared):
    raw = bomb(50_000_000)  # 50 MB of one letter: a few dozen kB compressed
    assert len(raw) < 200_000
    with pytest.raises(TestDataError, match=r"xl/sharedStrings\.xml' inside the file expands"):
        read_test_data(io.BytesIO(raw), filename="export.xlsx", declared_format=declared)


def test_the_total_expanded_size_is_capped():
    raw = bomb(4_000_000)  # three 1 MB strings
    with pytest.raises(TestDataError, match="expands to 3 MB when unpacked, above the 1 MB"):
        check_expansion(io.BytesIO(raw), "Excel workbook", limit=1_000_000)


def test_the_stream_is_left_where_it_was_and_non_zips_pass():
    stream = io.BytesIO(b"time_s,current_a\n")
    check_expansion(stream, "Excel workbook")
    assert stream.tell() == 0


@pytest.mark.parametrize(
    "name",
    ["bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx", "20260302_IFE_BTS85_2_9_8_1.ndax"],
)
def test_real_exports_pass_the_check(cycler, name):
    with open(cycler.path(name), "rb") as stream:
        check_expansion(stream, "real export")
        assert stream.tell() == 0
