"""Excel workbooks: Arbin and Neware both export .xlsx, and the ZIP's first bytes do not say
whose it is, so the workbook is opened (openpyxl read-only) and its sheets decide."""

from __future__ import annotations

from typing import BinaryIO

from ..errors import TestDataError
from ..testdata import TestData
from . import arbin, neware

VENDOR = "Excel workbook"


def read_workbook(stream: BinaryIO, batch_rows: int, declared: str | None = None) -> TestData:
    """An Arbin or Neware workbook, by its sheets unless the uploader declared which."""
    origin = stream.tell()
    if declared == "arbin_xlsx":
        return arbin.read_arbin_xlsx(stream, batch_rows)
    book = neware.open_workbook(stream, VENDOR)
    if declared == "neware_xlsx" or neware.neware_sheets(book):
        return neware.read_neware_xlsx(stream, batch_rows, book)
    headers = [arbin.first_row(ws) for ws in book.worksheets]  # type: ignore[attr-defined]
    if any(arbin.looks_like_header(header) for header in headers):
        stream.seek(origin)
        return arbin.read_arbin_xlsx(stream, batch_rows)
    sheets = ", ".join(f"'{ws.title}'" for ws in book.worksheets)  # type: ignore[attr-defined]
    raise TestDataError(
        f"{VENDOR}: neither an Arbin export (a sheet whose first row has Test_Time, Current, "
        "Voltage and Cycle_Index) nor a Neware export (a record sheet with Cycle Index, Step Type "
        f"or Status, Current and Voltage in its first rows); sheets: {sheets or 'none'}. Export "
        "the test from the cycler's software again, or convert it to the canonical CSV"
    )
