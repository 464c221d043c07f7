"""Pack-import files built in the test that reads them: CSV (either separator, with or without a
byte-order mark) and XLSX (openpyxl), from a header and rows of cells."""

import io
from collections.abc import Iterable, Sequence

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = ("serial", "claimed_soh_pct", "cycle_count", "vin", "manufactured_on", "removed_on",
          "notes")  # fmt: skip
VIN = "WVWZZZ1JZXW000001"


def pack_rows(count: int, *, prefix: str = "IMP", start: int = 1) -> list[list[object]]:
    """`count` valid rows: made 2018-01-01, removed 2025-05-01 from the vehicle VIN."""
    return [
        [f"{prefix}-{n:05d}", "82.5", str(800 + n), VIN, "2018-01-01", "2025-05-01", ""]
        for n in range(start, start + count)
    ]


def csv_bytes(
    rows: Iterable[Sequence[object]],
    *,
    header: Sequence[str] = HEADER,
    sep: str = ",",
    bom: bool = False,
) -> bytes:
    lines = [sep.join(header), *(sep.join("" if c is None else str(c) for c in r) for r in rows)]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def xlsx_bytes(rows: Iterable[Sequence[object]], *, header: Sequence[str] = HEADER) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Packs")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "packs.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
