"""Test-data readers: every supported cycler format in, `TestData` in canonical units out.

`read_test_data` detects the format from the content (the file name is only a hint) unless the
uploader declared it, and hands the stream to that format's reader. Readers import their heavy
libraries (galvani, NewareNDA, openpyxl) only when used.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from ..errors import TestDataError
from ..testdata import TestData
from ._headers import HEAD_BYTES
from ._zipped import check_expansion
from .detect import FORMATS, detect_format, supported

__all__ = ["FORMATS", "detect_format", "read_test_data"]

Reader = Callable[[BinaryIO, int], TestData]
_SPOOL_BYTES = 32 << 20


def _reader(slug: str) -> Reader:
    if slug == "canonical_csv":
        from ..canonical_fast import read_canonical

        return read_canonical
    if slug == "arbin_csv":
        from . import arbin

        return arbin.read_arbin_csv
    if slug == "maccor_txt":
        from .maccor import read_maccor

        return read_maccor
    if slug in ("neware_csv", "neware_ndax"):
        from . import neware

        return neware.read_neware_csv if slug == "neware_csv" else neware.read_neware_ndax
    if slug in ("biologic_mpr", "biologic_mpt"):
        from . import biologic

        return biologic.read_mpr if slug == "biologic_mpr" else biologic.read_mpt
    from .bms import read_bms

    return read_bms


def read_test_data(
    stream: BinaryIO,
    *,
    filename: str = "",
    declared_format: str | None = None,
    batch_rows: int = 250_000,
) -> TestData:
    """Open a test-data file from a binary stream at the file's start. Header problems raise
    TestDataError here; row problems raise while the batches are iterated."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    stream = _seekable(stream)
    origin = stream.tell()
    if declared_format in (None, "", "auto"):
        head = stream.read(HEAD_BYTES)
        stream.seek(origin)
        slug = detect_format(head if isinstance(head, bytes) else b"", filename)
    elif declared_format in dict(FORMATS):
        slug = declared_format
    else:
        raise TestDataError(
            f"unknown declared format {declared_format!r}. Supported formats: {supported()}"
        )
    if slug in ("arbin_xlsx", "neware_xlsx", "neware_ndax"):
        check_expansion(stream, dict(FORMATS)[slug])
    if slug in ("arbin_xlsx", "neware_xlsx"):  # detected: an Excel workbook; its sheets decide
        from .workbook import read_workbook

        declared = None if declared_format in (None, "", "auto") else slug
        return read_workbook(stream, batch_rows, declared)
    return _reader(slug)(stream, batch_rows)


def _seekable(stream: BinaryIO) -> BinaryIO:
    """Readers look at the head and then start again, so a pipe is spooled first."""
    seekable = getattr(stream, "seekable", None)
    if seekable is not None and seekable():
        return stream
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (returned)
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]
