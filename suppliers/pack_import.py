"""Packs of a draft lot imported from a CSV or XLSX file: the file read (its kind told from its
content, not its name), its rows checked by `suppliers.domain.pack_rows` and against the
platform (serials live elsewhere, the lot's quantity), and the packs with their history written
in one transaction. The marketplace's service (`marketplace.pack_import`) gives the lot its
audit entry and route on top."""

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from core.errors import ApplicationError

from .choices import HistoryEventKind, LotStatus
from .domain.history import HistoryFact
from .domain.pack_rows import (
    COLUMN_ORDER,
    DATE_EVENTS,
    MAX_ROWS,
    PackRow,
    PackRows,
    RowError,
    pack_rows_parse,
)
from .history import history_fact
from .models import HistoryEvent, Lot, Pack
from .selectors import lot_can_manage, pack_serials_live

MAX_FILE_BYTES = 5 * 1024 * 1024
BATCH_SIZE = 1000
# Checked against the database this many serials at a time (SQLite's bound parameters).
SERIAL_CHUNK = 2000

XLSX, CSV = "xlsx", "csv"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the binary .xls of Excel 97-2003


class PackImportInvalid(ApplicationError):
    """The file cannot be imported as it is; `errors` says everything wrong with it."""

    def __init__(self, errors: Sequence[RowError], *, rows_read: int = 0):
        errors = list(errors)
        count = len(errors)
        first = f" ({errors[0]}{'; ...' if count > 1 else ''})" if errors else ""
        super().__init__(
            f"The file cannot be imported: {count:,} problem{'s' if count != 1 else ''}{first}. "
            "Nothing was saved.",
            field="file",
        )
        self.errors = errors
        self.rows_read = rows_read


@dataclass(frozen=True)
class PackFile:
    """A file's packs as read and checked: `rows` are importable only when `errors` is empty."""

    kind: str  # csv | xlsx | "" when unreadable
    parsed: PackRows

    @property
    def ok(self) -> bool:
        return self.parsed.ok


def pack_import_allowed(*, user: AbstractBaseUser, lot: Lot) -> None:
    """Packs are imported by the lot's own supplier, into a draft only."""
    if not lot_can_manage(user=user, lot=lot):
        raise ApplicationError("Only the supplier of this lot can import its packs.")
    if lot.status != LotStatus.DRAFT:
        raise ApplicationError(
            f"Packs are imported into a draft lot only; this lot is {lot.get_status_display()}."
        )


def file_error(message: str) -> PackRows:
    return PackRows(errors=[RowError(None, None, message)])


def pack_file_read(
    data: bytes, *, today: date, lot_history: Sequence[HistoryFact] = ()
) -> PackFile:
    """Read and check a file's rows (no database). `lot_history`: the lot's events for every
    pack, which each row's dates join (`lot_wide_history`)."""
    if len(data) > MAX_FILE_BYTES:
        return PackFile("", file_error(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB ({MAX_ROWS:,} packs). Split it."
        ))  # fmt: skip
    if not data.strip():
        return PackFile("", file_error("The file is empty: no header and no packs."))
    if data.startswith(OLE_MAGIC):
        return PackFile("", file_error(
            "This is an old Excel .xls workbook: save it as .xlsx or as CSV (UTF-8)."
        ))  # fmt: skip
    if data.startswith(ZIP_MAGIC):
        return PackFile(XLSX, _parse(_xlsx_lines, data, today=today, lot_history=lot_history))
    return PackFile(CSV, _parse(_csv_lines, data, today=today, lot_history=lot_history))


class _Unreadable(Exception):
    pass


def _parse(reader, data: bytes, *, today: date, lot_history: Sequence[HistoryFact]) -> PackRows:
    try:
        return pack_rows_parse(reader(data), today=today, lot_history=lot_history)
    except _Unreadable as exc:
        return file_error(str(exc))


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if b"\x00" in data[:8192]:
        raise _Unreadable(
            "The file is not a CSV or an XLSX workbook: it holds binary data. Export the sheet "
            "as CSV (UTF-8) or save it as .xlsx."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Unreadable(
            f"The file is not UTF-8 text (byte {exc.start + 1:,} cannot be read): export it as "
            "CSV (UTF-8), or save it as .xlsx."
        ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    # The header decides: a spreadsheet set to decimal commas separates with semicolons.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    record = 0
    try:
        for record, cells in enumerate(reader, start=1):
            yield record, cells
    except csv.Error as exc:
        raise _Unreadable(f"Line {record + 1} cannot be read as CSV: {exc}.") from None


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, tuple]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl passes on zipfile, zlib and XML parser errors
        raise _Unreadable(
            "The file looks like a zip archive but is not a readable XLSX workbook "
            f"({type(exc).__name__})."
        ) from None
    try:
        if not book.worksheets:
            raise _Unreadable("The workbook has no worksheet.")
        # The first sheet, whichever was last open in Excel.
        yield from enumerate(book.worksheets[0].iter_rows(values_only=True), start=1)
    except _Unreadable:
        raise
    except Exception as exc:  # the same, met while reading the sheet's XML
        raise _Unreadable(
            f"The workbook cannot be read to the end ({type(exc).__name__}: {exc})."
        ) from None
    finally:
        book.close()


def lot_wide_history(lot: Lot) -> list[HistoryFact]:
    """The lot's events for every pack, which each imported pack's own dates join."""
    return [history_fact(event) for event in lot.history.filter(pack__isnull=True)]


def pack_file_check(*, lot: Lot, pack_file: PackFile) -> PackFile:
    """The file's own errors and the platform's against its rows, in the file's order."""
    parsed = pack_file.parsed
    if not parsed.rows_read:
        return pack_file
    serials = [(row.line, row.serial) for row in parsed.rows] + parsed.failed_serials
    errors = parsed.errors + pack_rows_check(lot=lot, serials=serials, count=parsed.rows_read)
    errors.sort(key=lambda e: (e.line or 0, COLUMN_ORDER.get(e.column, -1)))
    return PackFile(
        pack_file.kind, PackRows(parsed.rows, errors, parsed.rows_read, parsed.failed_serials)
    )


def pack_rows_check(*, lot: Lot, serials: Sequence[tuple[int, str]], count: int) -> list[RowError]:
    """What the platform says against the rows: serials listed already (in this lot, in the
    supplier's other lots, by another organisation), and the lot's quantity against `count`
    packs (the file's, when some of its rows are wrong)."""
    errors = []
    existing = lot.packs.count()
    if existing + count > lot.quantity:
        errors.append(
            RowError(None, None, f"The lot's quantity is {lot.quantity:,} packs and it has "
                     f"{existing:,}: the file's {count:,} would make {existing + count:,}. "
                     "Raise the lot's quantity or import fewer packs.")
        )  # fmt: skip
    by_serial = {serial.upper(): (line, serial) for line, serial in serials}
    # Whose live pack each serial already is (this lot's packs are live too).
    taken: dict[str, tuple[int, str, int]] = {}
    serials = list(by_serial)
    for start in range(0, len(serials), SERIAL_CHUNK):
        found = pack_serials_live(serials=serials[start : start + SERIAL_CHUNK]).values_list(
            "serial_upper", "lot__supplier_id", "lot__reference", "lot_id"
        )
        taken.update({key: rest for key, *rest in found})
    for key, (line, serial) in by_serial.items():
        if key not in taken:
            continue
        supplier_id, reference, lot_id = taken[key]
        if lot_id == lot.pk:
            message = f"{serial} is already a pack of this lot."
        elif supplier_id == lot.supplier_id:
            message = (
                f"{serial} is already listed in your lot {reference}. Withdraw that lot "
                "or move the pack before listing it again."
            )
        else:
            message = (
                f"{serial} is already listed by another organisation. A pack changes "
                "hands by a custody transfer, not by listing it again."
            )
        errors.append(RowError(line, "serial", message))
    return errors


def _events(pack: Pack, row: PackRow) -> list[HistoryEvent]:
    """A row's dates as the pack's own history; the VIN goes with its service, the note with
    its latest event."""
    events = [
        HistoryEvent(
            kind=kind, occurred_on=getattr(row, name),
            vin=row.vin if kind != HistoryEventKind.MANUFACTURED else "",
        )
        for name, kind in DATE_EVENTS
        if getattr(row, name)
    ]  # fmt: skip
    if row.notes:
        events[-1].notes = row.notes
    for event in events:
        event.lot_id, event.pack = pack.lot_id, pack
    return events


@transaction.atomic
def pack_rows_import(
    *, user: AbstractBaseUser, lot: Lot, pack_file: PackFile
) -> tuple[list[Pack], int]:
    """Write a file's packs and their history into a draft lot, all of them or none, once it
    is checked against the platform: the packs and the number of history events written.

    The lot row is locked first, so its status, quantity and packs are the ones checked until
    commit; a serial another lot takes between the check and the insert is refused by the
    database's unique index and rolls everything back."""
    lot = Lot.objects.select_for_update(of=("self",)).get(pk=lot.pk)
    pack_import_allowed(user=user, lot=lot)
    checked = pack_file_check(lot=lot, pack_file=pack_file)
    if not checked.ok:
        raise PackImportInvalid(checked.parsed.errors, rows_read=checked.parsed.rows_read)
    rows = checked.parsed.rows
    try:
        with transaction.atomic():
            packs = Pack.objects.bulk_create(
                (
                    Pack(lot=lot, serial=r.serial, claimed_soh_pct=r.claimed_soh_pct,
                         cycle_count=r.cycle_count)
                    for r in rows
                ),
                batch_size=BATCH_SIZE,
            )  # fmt: skip
    except IntegrityError as exc:
        raise ApplicationError(
            "One of these serials was just listed in another lot; check the file again.",
            field="file",
        ) from exc
    events = HistoryEvent.objects.bulk_create(
        [event for pack, row in zip(packs, rows, strict=True) for event in _events(pack, row)],
        batch_size=BATCH_SIZE,
    )
    return packs, len(events)
