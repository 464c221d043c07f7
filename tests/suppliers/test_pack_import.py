"""Reading pack-import files and writing their packs: the suppliers' half of the import."""

import io
import os
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from core.errors import ApplicationError
from suppliers.choices import HistoryEventKind, LotStatus
from suppliers.models import HistoryEvent, Pack
from suppliers.pack_import import (
    MAX_FILE_BYTES,
    lot_wide_history,
    pack_file_check,
    pack_file_read,
    pack_import_allowed,
    pack_rows_import,
)
from tests.factories import LotFactory, PackFactory
from tests.pack_files import VIN, csv_bytes, pack_rows, xlsx_bytes

TODAY = date(2026, 6, 1)


def read(data: bytes, **kwargs):
    return pack_file_read(data, today=TODAY, **kwargs)


def messages(pack_file):
    return [str(e) for e in pack_file.parsed.errors]


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    return LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, quantity=20,
        reference="VOLTA-DRAFT", with_history=False,
    )  # fmt: skip


def counts():
    return Pack.objects.count(), HistoryEvent.objects.count()


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes(pack_rows(3)),
        csv_bytes(pack_rows(3), bom=True),
        csv_bytes(pack_rows(3), sep=";"),
        csv_bytes(pack_rows(3), sep=";", bom=True),
        xlsx_bytes(pack_rows(3)),
    ],
    ids=["csv", "csv-bom", "semicolon", "semicolon-bom", "xlsx"],
)
def test_csv_and_xlsx_files_read_alike(data):
    pack_file = read(data)
    assert pack_file.parsed.errors == []
    assert [r.serial for r in pack_file.parsed.rows] == ["IMP-00001", "IMP-00002", "IMP-00003"]
    first = pack_file.parsed.rows[0]
    assert (first.claimed_soh_pct, first.cycle_count, first.vin) == (Decimal("82.50"), 801, VIN)
    assert (first.manufactured_on, first.removed_on) == (date(2018, 1, 1), date(2025, 5, 1))
    assert pack_file.kind == ("xlsx" if data.startswith(b"PK") else "csv")


def test_a_workbook_with_typed_cells_and_a_semicolon_file_with_decimal_commas():
    book = xlsx_bytes([[4711, 85.5, 900, VIN, date(2018, 1, 1), date(2025, 5, 1), "ok"]])
    (row,) = read(book).parsed.rows
    assert (row.serial, row.claimed_soh_pct, row.cycle_count) == ("4711", Decimal("85.50"), 900)
    semicolons = csv_bytes([["A-1", "85,5", "", "", "", "", ""]], sep=";")
    assert read(semicolons).parsed.rows[0].claimed_soh_pct == Decimal("85.50")


def test_quoted_csv_fields_keep_their_separators_and_line_breaks():
    data = b'serial,notes,removed_on\r\n"A,1","dented\r\ncase",2025-01-01\r\nB,,\r\n'
    rows = read(data).parsed.rows
    assert [(r.serial, r.notes, r.line) for r in rows] == [("A,1", "dented\r\ncase", 2),
                                                           ("B", "", 3)]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty: no header and no packs."),
        (b"\r\n \r\n", "The file is empty: no header and no packs."),
        (b"\xef\xbb\xbf", "The file is empty: no header and no packs."),
        (csv_bytes([]), "The file has a header but no packs."),
        (xlsx_bytes([]), "The file has a header but no packs."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
         "The file is not a CSV or an XLSX workbook: it holds binary data. Export the sheet as "
         "CSV (UTF-8) or save it as .xlsx."),
        (b"serial\r\nA-\xe91\r\n",
         "The file is not UTF-8 text (byte 11 cannot be read): export it as CSV (UTF-8), or "
         "save it as .xlsx."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
         "This is an old Excel .xls workbook: save it as .xlsx or as CSV (UTF-8)."),
        (b"PK\x03\x04 not really a zip",
         "The file looks like a zip archive but is not a readable XLSX workbook (BadZipFile)."),
        (b'serial,notes\r\nA,"unterminated\r\nB,x\r\n',
         "Line 2 cannot be read as CSV: unexpected end of data."),
    ],
    ids=["empty", "blank-lines", "bom-only", "header-only", "xlsx-header-only", "binary",
         "not-utf8", "old-xls", "bad-zip", "bad-quoting"],
)  # fmt: skip
def test_malformed_files_are_refused_with_what_is_wrong(data, message):
    pack_file = read(data)
    assert messages(pack_file) == [message]
    assert not pack_file.ok


def test_random_binary_garbage_is_not_a_csv():
    garbage = os.urandom(4096) + b"\x00"
    (message,) = messages(read(garbage))
    assert "not a CSV or an XLSX workbook" in message or "not UTF-8" in message


def test_a_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    (message,) = messages(read(out.getvalue()))
    assert message.startswith("The file looks like a zip archive but is not a readable XLSX")


def test_prose_is_a_wrong_header_not_a_crash():
    unknown, no_serial = messages(read(b"Dear supplier, find the packs attached.\nRegards\n"))
    assert unknown.startswith("line 1, header: unknown columns 'Dear supplier', 'find the")
    assert no_serial == "line 1, header: the header has no serial column (serial or serial_number)."


def test_a_wrong_header_names_the_columns():
    data = csv_bytes([["A", "1"]], header=["serial", "colour"])
    assert messages(read(data))[0].startswith("line 1, header: unknown column 'colour'; the ")


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed():
    big = csv_bytes([], header=["serial", "notes"]) + b"A,x\r\n" * (MAX_FILE_BYTES // 4)
    assert messages(read(big)) == [
        "The file is 6.3 MB; the limit is 5 MB (20,000 packs). Split it."
    ]


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_twenty_thousand_and_one_rows_are_refused(make):
    rows = [[f"S{n}", "", "", "", "", "", ""] for n in range(20_001)]
    assert messages(read(make(rows))) == [
        "The file has more than 20,000 rows of packs; import at most 20,000 at a time (split "
        "the file)."
    ]


def test_twenty_thousand_rows_are_read():
    rows = [[f"S{n}", "", "", "", "", "", ""] for n in range(20_000)]
    pack_file = read(csv_bytes(rows))
    assert pack_file.ok and len(pack_file.parsed.rows) == 20_000


def test_row_errors_of_a_real_file():
    rows = [
        ["A-1", "104", "10", "", "2018-01-01", "2025-05-01", ""],
        ["A-2", "80", "-3", "", "2020-01-01", "2019-01-01", ""],
        ["A-3", "80", "", "", "2018-13-01", "", ""],
        ["a-1", "80", "", "", "", "", ""],
    ]
    for data in (csv_bytes(rows), xlsx_bytes(rows)):
        assert messages(read(data)) == [
            "line 2, claimed SOH: 104 is above 100 %.",
            "line 3, cycle count: -3 is negative.",
            "line 3, removed on: The removal from service date 2019-01-01 is before the packs "
            "were made (2020-01-01).",
            "line 4, manufactured on: 2018-13-01 is not a real date.",
            "line 5, serial: a-1 repeats line 2.",
        ]


def test_import_is_for_the_lots_own_supplier_and_a_draft(draft, alice, rob, bianca):
    pack_import_allowed(user=alice, lot=draft)
    for outsider in (rob, bianca):
        with pytest.raises(ApplicationError, match="Only the supplier of this lot"):
            pack_import_allowed(user=outsider, lot=draft)
    submitted = LotFactory(supplier=draft.supplier, status=LotStatus.SUBMITTED)
    with pytest.raises(ApplicationError, match="draft lot only; this lot is Submitted"):
        pack_import_allowed(user=alice, lot=submitted)


def test_packs_and_their_history_are_written(draft, alice):
    rows = [
        ["A-1", "85", "800", VIN, "2018-01-01", "2025-05-01", "dented"],
        ["A-2", "", "", "", "2019-01-01", "", ""],
        ["A-3", "", "", "", "", "", ""],
    ]
    packs, events = pack_rows_import(user=alice, lot=draft, pack_file=read(csv_bytes(rows)))
    assert [p.serial for p in packs] == ["A-1", "A-2", "A-3"]
    assert events == 3
    a1 = Pack.objects.get(serial="A-1")
    assert (a1.lot, a1.claimed_soh_pct, a1.cycle_count, a1.live) == (draft, 85, 800, True)
    assert list(a1.history.values_list("kind", "occurred_on", "vin", "notes")) == [
        (HistoryEventKind.MANUFACTURED, date(2018, 1, 1), "", ""),
        (HistoryEventKind.REMOVED, date(2025, 5, 1), VIN, "dented"),
    ]
    assert all(e.lot_id == draft.pk for e in HistoryEvent.objects.all())
    assert Pack.objects.get(serial="A-3").history.count() == 0


def test_in_service_carries_the_vin_too(draft, alice):
    data = csv_bytes([["B-1", VIN, "2018-01-01", "2018-02-01"]],
                     header=["serial", "vin", "manufactured_on", "in_service_on"])  # fmt: skip
    pack_rows_import(user=alice, lot=draft, pack_file=read(data))
    assert list(HistoryEvent.objects.values_list("kind", "vin")) == [
        (HistoryEventKind.MANUFACTURED, ""), (HistoryEventKind.IN_SERVICE, VIN),
    ]  # fmt: skip


def test_a_bad_file_writes_nothing(draft, alice):
    before = counts()
    rows = [*pack_rows(5), ["BAD", "104", "", "", "", "", ""]]
    with pytest.raises(ApplicationError) as caught:
        pack_rows_import(user=alice, lot=draft, pack_file=read(csv_bytes(rows)))
    assert [str(e) for e in caught.value.errors] == ["line 7, claimed SOH: 104 is above 100 %."]
    assert counts() == before


def test_serials_live_elsewhere_are_named_per_line(draft, alice, recell, lfp_telecom_pack):
    robs = LotFactory(supplier=recell, pack_model=lfp_telecom_pack, reference="ROB-1")
    PackFactory(lot=robs, serial="ROB-PACK-1")
    mine = LotFactory(supplier=draft.supplier, reference="VOLTA-OTHER")
    PackFactory(lot=mine, serial="MINE-1")
    PackFactory(lot=draft, serial="HERE-1")
    withdrawn = LotFactory(supplier=recell, reference="ROB-OLD", status=LotStatus.WITHDRAWN)
    PackFactory(lot=withdrawn, serial="GONE-1", live=False)
    before = counts()
    data = csv_bytes([["ok-1"], ["rob-pack-1"], ["Mine-1"], ["here-1"], ["GONE-1"]],
                     header=["serial"])  # fmt: skip
    checked = pack_file_check(lot=draft, pack_file=read(data))
    assert messages(checked) == [
        "line 3, serial: rob-pack-1 is already listed by another organisation. A pack changes "
        "hands by a custody transfer, not by listing it again.",
        "line 4, serial: Mine-1 is already listed in your lot VOLTA-OTHER. Withdraw that lot or "
        "move the pack before listing it again.",
        "line 5, serial: here-1 is already a pack of this lot.",
    ]
    with pytest.raises(ApplicationError):
        pack_rows_import(user=alice, lot=draft, pack_file=read(data))
    assert counts() == before


def test_a_wrong_rows_serial_is_checked_against_the_platform_too(draft, recell, lfp_telecom_pack):
    """One round of corrections finds every problem: a row with a bad figure still has its
    serial checked, and only rows without any problem count as clean."""
    PackFactory(lot=LotFactory(supplier=recell, pack_model=lfp_telecom_pack), serial="ROB-9")
    data = csv_bytes([["OK-1", "80"], ["ROB-9", "104"], ["OK-2", "81"]],
                     header=["serial", "claimed_soh_pct"])  # fmt: skip
    checked = pack_file_check(lot=draft, pack_file=read(data))
    assert [(e.line, e.column) for e in checked.parsed.errors] == [
        (3, "serial"), (3, "claimed_soh_pct"),
    ]  # fmt: skip
    assert checked.parsed.rows_clean == 2
    taken = read(csv_bytes([["ROB-9"], ["OK-3"]], header=["serial"]))
    assert pack_file_check(lot=draft, pack_file=taken).parsed.rows_clean == 1


def test_the_lots_quantity_bounds_the_import(draft, alice):
    PackFactory(lot=draft, serial="HERE-1")
    PackFactory(lot=draft, serial="HERE-2")
    data = csv_bytes(pack_rows(19))
    before = counts()
    checked = pack_file_check(lot=draft, pack_file=read(data))
    assert messages(checked) == [
        "The lot's quantity is 20 packs and it has 2: the file's 19 would make 21. Raise the "
        "lot's quantity or import fewer packs."
    ]
    with pytest.raises(ApplicationError):
        pack_rows_import(user=alice, lot=draft, pack_file=read(data))
    assert counts() == before
    packs, events = pack_rows_import(
        user=alice, lot=draft, pack_file=read(csv_bytes(pack_rows(18)))
    )
    assert (len(packs), events, draft.packs.count()) == (18, 36, 20)


def test_the_quantity_counts_wrong_rows_too(draft):
    rows = [*pack_rows(20), ["X", "104", "", "", "", "", ""]]
    checked = pack_file_check(lot=draft, pack_file=read(csv_bytes(rows)))
    assert [e.line for e in checked.parsed.errors] == [None, 22]


def test_the_lot_wide_manufacture_date_applies_to_rows_without_one(draft):
    HistoryEvent.objects.create(lot=draft, kind="manufactured", occurred_on=date(2018, 1, 1))
    data = csv_bytes([["A", "2017-01-01"]], header=["serial", "removed_on"])
    assert messages(read(data, lot_history=lot_wide_history(draft))) == [
        "line 2, removed on: The removal from service date 2017-01-01 is before the packs were "
        "made (2018-01-01)."
    ]


def test_a_lot_submitted_meanwhile_refuses_under_the_lock(draft, alice):
    pack_file = read(csv_bytes(pack_rows(2)))
    type(draft).objects.filter(pk=draft.pk).update(status=LotStatus.SUBMITTED)
    with pytest.raises(ApplicationError, match="draft lot only"):
        pack_rows_import(user=alice, lot=draft, pack_file=pack_file)
    assert Pack.objects.count() == 0
