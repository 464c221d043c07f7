"""A file of packs, row by row: each row becomes a typed pack row or the errors that say what is
wrong with it (line, column, problem), and the rows are checked against each other. Cells come
in as the reader found them (text from a CSV; text, numbers or dates from a workbook); no file
reading and no database here."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .history import HistoryFact, history_problems, is_vin

# One import at a time stays well inside a request; a larger supply is split into files.
MAX_ROWS = 20_000
SERIAL_MAX_LENGTH = 100
NOTES_MAX_LENGTH = 2000
# PostgreSQL's integer, the cycle count's column.
CYCLE_COUNT_MAX = 2_147_483_647
SOH_DECIMAL_PLACES = 2
SOH_STEP = Decimal("0.01")


@dataclass(frozen=True)
class Column:
    name: str  # as the template header spells it
    label: str  # as the messages name it
    aliases: frozenset[str]


COLUMNS = (
    Column("serial", "serial", frozenset({"serial", "serial_number", "serial_no", "passport_id"})),
    Column(
        "claimed_soh_pct",
        "claimed SOH",
        frozenset({"claimed_soh_pct", "claimed_soh", "claimed_soh_percent", "soh", "soh_pct"}),
    ),
    Column("cycle_count", "cycle count", frozenset({"cycle_count", "cycles", "cycle_counter"})),
    Column("vin", "VIN", frozenset({"vin", "vehicle_vin"})),
    Column(
        "manufactured_on",
        "manufactured on",
        frozenset({"manufactured_on", "manufacture_date", "manufacturing_date", "manufactured"}),
    ),
    Column(
        "in_service_on",
        "in service on",
        frozenset({"in_service_on", "in_service_date", "in_service_since"}),
    ),
    Column(
        "removed_on",
        "removed on",
        frozenset({"removed_on", "removal_date", "removed_from_service"}),
    ),
    Column("notes", "notes", frozenset({"notes", "note", "comments", "comment"})),
)
COLUMN_BY_ALIAS = {alias: column for column in COLUMNS for alias in column.aliases}
# The `column` of an error in the header row itself.
HEADER = "header"
LABELS = {column.name: column.label for column in COLUMNS} | {HEADER: "header"}
TEMPLATE_HEADER = tuple(column.name for column in COLUMNS)
COLUMN_ORDER = {name: index for index, name in enumerate(TEMPLATE_HEADER)}

# The history events a row's dates become, in the order the history check reads them.
DATE_EVENTS = (
    ("manufactured_on", "manufactured"),
    ("in_service_on", "in_service"),
    ("removed_on", "removed"),
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# ISO 3779: 17 characters, digits and capitals without I, O and Q (read as 1 and 0).


@dataclass(frozen=True, order=True)
class RowError:
    """`line` None: the file as a whole; `column` None: the row as a whole."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}"
        if self.column is not None:
            where += f", {LABELS.get(self.column, self.column)}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class PackRow:
    line: int
    serial: str
    claimed_soh_pct: Decimal | None = None
    cycle_count: int | None = None
    vin: str = ""
    manufactured_on: date | None = None
    in_service_on: date | None = None
    removed_on: date | None = None
    notes: str = ""

    def events(self) -> list[tuple[str, date]]:
        """(kind, date) of the history events this row records, in the order checked."""
        return [(kind, getattr(self, name)) for name, kind in DATE_EVENTS if getattr(self, name)]


@dataclass
class PackRows:
    rows: list[PackRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0  # rows with any value, valid or not
    # (line, serial) of rows that failed but whose serial could be read: the platform checks
    # those serials too, so one round of corrections finds every problem.
    failed_serials: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def rows_clean(self) -> int:
        """Rows of packs without any problem, the platform's included."""
        wrong = {error.line for error in self.errors}
        return sum(1 for row in self.rows if row.line not in wrong)


def normalise_header(cell: object) -> str:
    """'Claimed SOH (%)', 'claimed-soh' and ' CLAIMED_SOH ' all read as 'claimed_soh'."""
    text = "" if cell is None else str(cell)
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def header_columns(header: Sequence[object]) -> tuple[list[str | None], list[str]]:
    """The column each header cell names (None: a blank cell), and what is wrong with them."""
    columns: list[str | None] = []
    unknown, problems, seen = [], [], {}
    for position, cell in enumerate(header, start=1):
        key = normalise_header(cell)
        column = COLUMN_BY_ALIAS.get(key) if key else None
        if key and column is None:
            unknown.append(str(cell).strip())
        elif column is not None and column.name in seen:
            problems.append(
                f"columns {seen[column.name]} and {position} both give the {column.label}."
            )
        elif column is not None:
            seen[column.name] = position
        columns.append(column.name if column is not None else None)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        problems.insert(
            0,
            f"unknown column{'s' if len(unknown) > 1 else ''} {names}; the columns are "
            f"{', '.join(TEMPLATE_HEADER)} (only serial is required).",
        )
    if "serial" not in seen:
        problems.append("the header has no serial column (serial or serial_number).")
    return columns, problems


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A workbook keeps a number-only serial or count as a float.
        return str(int(value))
    return str(value).strip()


def _serial(value: object) -> str:
    serial = _text(value)
    if not serial:
        raise ValueError("a pack needs a serial.")
    if len(serial) > SERIAL_MAX_LENGTH:
        raise ValueError(f"{serial[:20]}… is longer than {SERIAL_MAX_LENGTH} characters.")
    if any(ord(ch) < 32 for ch in serial):
        raise ValueError(f"{serial!r} holds a control character.")
    return serial


def _soh(value: object) -> Decimal | None:
    text = _text(value).removesuffix("%").strip()
    if not text:
        return None
    try:
        # A semicolon-separated file often comes with decimal commas.
        soh = Decimal(text.replace(",", ".") if isinstance(value, str) else text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number.") from None
    if not soh.is_finite():
        raise ValueError(f"{text!r} is not a number.")
    if soh > 100:
        raise ValueError(f"{text} is above 100 %.")
    if soh < 0:
        raise ValueError(f"{text} is below 0 %.")
    if soh != soh.quantize(SOH_STEP):
        raise ValueError(f"{text} has more than {SOH_DECIMAL_PLACES} decimal places.")
    return soh.quantize(SOH_STEP)


def _cycle_count(value: object) -> int | None:
    text = _text(value)
    if not text:
        return None
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"{text!r} is not a whole number.")
    count = int(text)
    if count < 0:
        raise ValueError(f"{text} is negative.")
    if count > CYCLE_COUNT_MAX:
        raise ValueError(f"{text} is more cycles than any pack goes through.")
    return count


def _vin(value: object) -> str:
    vin = _text(value).upper()
    if vin and not is_vin(vin):
        raise ValueError(
            f"{_text(value)!r} is not a VIN (17 letters and digits, without I, O or Q)."
        )
    return vin


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    # A workbook may hold the date as text with a midnight time after it.
    head = text[:10] if text[10:] in ("", "T00:00:00", " 00:00:00") else text
    if not ISO_DATE.fullmatch(head):
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD).")
    try:
        return date.fromisoformat(head)
    except ValueError:
        raise ValueError(f"{text} is not a real date.") from None


def _notes(value: object) -> str:
    notes = _text(value)
    if len(notes) > NOTES_MAX_LENGTH:
        raise ValueError(f"{len(notes):,} characters; at most {NOTES_MAX_LENGTH:,}.")
    return notes


CONVERTERS = {
    "serial": _serial,
    "claimed_soh_pct": _soh,
    "cycle_count": _cycle_count,
    "vin": _vin,
    "manufactured_on": _date,
    "in_service_on": _date,
    "removed_on": _date,
    "notes": _notes,
}


def row_parse(
    line: int,
    columns: Sequence[str | None],
    values: Sequence[object],
    *,
    today: date,
    lot_history: Sequence[HistoryFact] = (),
    lot_problems: frozenset[str] | None = None,
) -> PackRow | list[RowError]:
    """One row under the header's `columns`. `lot_history`: the lot's events for every pack,
    which each pack's own dates join: the row is checked as that pack's whole story is."""
    errors: list[RowError] = []
    if len(values) > len(columns) and any(_text(v) for v in values[len(columns) :]):
        plural = "s" if len(columns) > 1 else ""
        errors.append(
            RowError(line, None, f"{len(values)} values but the header has {len(columns)} "
                     f"column{plural}.")
        )  # fmt: skip
    fields: dict[str, object] = {}
    for position, (column, value) in enumerate(zip(columns, values, strict=False), start=1):
        if column is None:
            if _text(value):
                errors.append(
                    RowError(line, None, f"{_text(value)[:40]!r} in column {position}, which "
                             "has no known header.")
                )  # fmt: skip
            continue
        try:
            fields[column] = CONVERTERS[column](value)
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))
    failed = {error.column for error in errors}
    if "serial" not in fields and "serial" not in failed:
        errors.append(RowError(line, "serial", "a pack needs a serial."))
    # The dates that could be read are checked even when another cell is wrong, so one round
    # of corrections can fix everything.
    row = PackRow(line=line, **{"serial": "", **fields})
    errors.extend(
        _history_errors(row, today=today, lot_history=lot_history, lot_problems=lot_problems)
    )
    dated = row.events() or failed & {"manufactured_on", "in_service_on", "removed_on"}
    if row.notes and not dated:
        errors.append(
            RowError(line, "notes", "a note is kept with the pack's history: give a "
                     "manufacture, in-service or removal date for it.")
        )  # fmt: skip
    if row.vin and not (
        row.in_service_on or row.removed_on or failed & {"in_service_on", "removed_on"}
    ):
        errors.append(
            RowError(line, "vin", "a VIN is recorded with the pack's service: give its "
                     "in-service or removal date.")
        )  # fmt: skip
    return sorted(errors, key=_column_order) or row


def _column_order(error: RowError) -> int:
    return COLUMN_ORDER.get(error.column, -1)


def lot_history_problems(lot_history: Sequence[HistoryFact], *, today: date) -> frozenset[str]:
    """What the lot's own history already gets wrong: not held against the rows."""
    return frozenset(p.message for p in history_problems(lot_history, today=today))


def _history_errors(
    row: PackRow,
    *,
    today: date,
    lot_history: Sequence[HistoryFact],
    lot_problems: frozenset[str] | None = None,
) -> list[RowError]:
    """The dates of one pack, with the lot's own, checked by the history rule the forms and
    the API apply. Only what the row adds counts: a problem the lot's history already had is
    not the row's."""
    names = [name for name, _kind in DATE_EVENTS if getattr(row, name)]
    events = [HistoryFact(kind, on, pack=0) for kind, on in row.events()]
    if not events:
        return []
    shared = list(lot_history)
    if lot_problems is None:
        lot_problems = lot_history_problems(shared, today=today)
    before = lot_problems
    errors = []
    for problem in history_problems([*shared, *events], today=today):
        if problem.index >= len(shared):
            errors.append(RowError(row.line, names[problem.index - len(shared)], problem.message))
        elif problem.message not in before:
            errors.append(RowError(row.line, None, problem.message))
    return errors


def _serial_of(columns: Sequence[str | None], values: Sequence[object]) -> str:
    """The serial of a row with errors elsewhere, so its repeats are found all the same."""
    try:
        return _serial(values[columns.index("serial")])
    except (ValueError, IndexError):
        return ""


def _blank(values: Sequence[object]) -> bool:
    return not any(_text(v) for v in values)


def pack_rows_parse(
    lines: Iterable[tuple[int, Sequence[object]]],
    *,
    today: date,
    lot_history: Sequence[HistoryFact] = (),
    max_rows: int = MAX_ROWS,
) -> PackRows:
    """`lines`: (line number, cells) of the file from its header on; blank rows are skipped.
    Reads at most `max_rows` rows of packs plus one, so an oversized file is refused early."""
    result = PackRows()
    lines = iter(lines)
    header = next(((n, cells) for n, cells in lines if not _blank(cells)), None)
    if header is None:
        result.errors.append(RowError(None, None, "The file is empty: no header and no packs."))
        return result
    columns, header_errors = header_columns(header[1])
    if header_errors:
        result.errors.extend(RowError(header[0], HEADER, message) for message in header_errors)
        return result
    first_line: dict[str, int] = {}
    lot_history = list(lot_history)
    known = lot_history_problems(lot_history, today=today)  # once, not per row
    for line, values in lines:
        if _blank(values):
            continue
        result.rows_read += 1
        if result.rows_read > max_rows:
            result.rows.clear()
            result.errors = [
                RowError(None, None, f"The file has more than {max_rows:,} rows of packs; "
                         f"import at most {max_rows:,} at a time (split the file).")
            ]  # fmt: skip
            return result
        parsed = row_parse(
            line, columns, values, today=today, lot_history=lot_history, lot_problems=known
        )
        serial = parsed.serial if isinstance(parsed, PackRow) else _serial_of(columns, values)
        repeats = first_line.get(serial.upper()) if serial else None
        if serial and repeats is None:
            first_line[serial.upper()] = line
        if isinstance(parsed, list):
            result.errors.extend(parsed)
            if serial and repeats is None:
                result.failed_serials.append((line, serial))
        if repeats is not None:
            result.errors.append(RowError(line, "serial", f"{serial} repeats line {repeats}."))
        elif isinstance(parsed, PackRow):
            result.rows.append(parsed)
    if not result.rows_read:
        result.errors.append(RowError(None, None, "The file has a header but no packs."))
    return result


@dataclass(frozen=True)
class ErrorGroup:
    title: str
    total: int
    shown: list[RowError]

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)


def error_groups(errors: Sequence[RowError], *, limit: int | None = None) -> list[ErrorGroup]:
    """Errors by what they concern (the file, its header, a column, whole rows), in the
    columns' order, each in the file's order; at most `limit` shown in all, each group
    counting every one of its own."""
    order = [FILE, HEADER, *TEMPLATE_HEADER, ROW]
    groups: dict[str, list[RowError]] = {}
    for error in errors:
        key = FILE if error.line is None else (error.column or ROW)
        groups.setdefault(key, []).append(error)
    titles = {name: label[0].upper() + label[1:] for name, label in LABELS.items()}
    titles |= {FILE: "The file", HEADER: "The header", ROW: "Whole rows"}
    budget = len(errors) if limit is None else limit
    named = []
    for key in (k for k in order if k in groups):
        shown = groups[key][: max(budget, 0)]
        budget -= len(shown)
        named.append(ErrorGroup(titles[key], len(groups[key]), shown))
    return named


FILE, ROW = "file", "row"
