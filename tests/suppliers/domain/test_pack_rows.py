from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suppliers.domain.history import HistoryFact
from suppliers.domain.pack_rows import (
    COLUMNS,
    MAX_ROWS,
    TEMPLATE_HEADER,
    PackRow,
    RowError,
    error_groups,
    header_columns,
    normalise_header,
    pack_rows_parse,
    row_parse,
)

TODAY = date(2026, 6, 1)
HEADER = list(TEMPLATE_HEADER)
VIN = "WVWZZZ1JZXW000001"


def parse(*rows, header=HEADER, **kwargs):
    lines = [(1, header), *((n, row) for n, row in enumerate(rows, start=2))]
    return pack_rows_parse(lines, today=TODAY, **kwargs)


def row(serial="SN-1", soh="", cycles="", vin="", made="", in_service="", removed="", notes=""):
    return [serial, soh, cycles, vin, made, in_service, removed, notes]


def messages(result):
    return [str(e) for e in result.errors]


def test_a_full_row_becomes_a_typed_pack_row():
    result = parse(row("SN-1", "85.5", "800", VIN.lower(), "2018-01-01", "2018-03-01",
                       "2025-05-01", "scratched case"))  # fmt: skip
    assert result.errors == []
    assert result.ok
    assert result.rows == [
        PackRow(line=2, serial="SN-1", claimed_soh_pct=Decimal("85.50"), cycle_count=800,
                vin=VIN, manufactured_on=date(2018, 1, 1), in_service_on=date(2018, 3, 1),
                removed_on=date(2025, 5, 1), notes="scratched case")
    ]  # fmt: skip
    assert result.rows[0].events() == [
        ("manufactured", date(2018, 1, 1)),
        ("in_service", date(2018, 3, 1)),
        ("removed", date(2025, 5, 1)),
    ]


def test_only_the_serial_is_required():
    result = parse(["SN-1"], ["SN-2"], header=["Serial Number"])
    assert [r.serial for r in result.rows] == ["SN-1", "SN-2"]
    assert result.rows[0].claimed_soh_pct is None and result.rows[0].cycle_count is None


@pytest.mark.parametrize(
    ("spelling", "column"),
    [
        ("serial", "serial"), ("SERIAL_NUMBER", "serial"), (" Serial number ", "serial"),
        ("passport_id", "serial"), ("claimed_soh_pct", "claimed_soh_pct"),
        ("Claimed SOH (%)", "claimed_soh_pct"), ("claimed soh %", "claimed_soh_pct"),
        ("cycle_count", "cycle_count"), ("Cycles", "cycle_count"), ("VIN", "vin"),
        ("manufactured_on", "manufactured_on"), ("Manufacture date", "manufactured_on"),
        ("removed_on", "removed_on"), ("Removal-Date", "removed_on"),
        ("in_service_on", "in_service_on"), ("Notes", "notes"),
    ],
)  # fmt: skip
def test_headers_are_read_whatever_their_spelling(spelling, column):
    columns, problems = header_columns(["serial", spelling] if column != "serial" else [spelling])
    assert problems == []
    assert columns[-1] == column


@given(st.sampled_from([a for c in COLUMNS for a in c.aliases]), st.data())
def test_any_case_and_spacing_of_an_alias_names_its_column(alias, data):
    words = alias.split("_")
    joiner = data.draw(st.sampled_from(["_", " ", "-", "  ", " / "]))
    spelled = joiner.join(data.draw(st.sampled_from([w, w.upper(), w.title()])) for w in words)
    assert normalise_header(f" {spelled} ") == alias


def test_unknown_columns_are_an_error_naming_them():
    result = parse(["SN-1", "x", "y"], header=["serial", "Colour", "weight kg"])
    assert result.rows == []
    assert messages(result) == [
        "line 1, header: unknown columns 'Colour', 'weight kg'; the columns are serial, "
        "claimed_soh_pct, cycle_count, vin, manufactured_on, in_service_on, removed_on, notes "
        "(only serial is required)."
    ]


def test_a_header_without_serial_or_with_a_column_twice_is_refused():
    assert messages(parse(["85"], header=["claimed_soh_pct"])) == [
        "line 1, header: the header has no serial column (serial or serial_number)."
    ]
    assert messages(parse(["A", "B"], header=["serial", "Serial Number"])) == [
        "line 1, header: columns 1 and 2 both give the serial."
    ]


def test_blank_header_cells_are_ignored_but_values_under_them_are_not():
    result = parse(["SN-1", ""], ["SN-2", "stray"], header=["serial", None])
    assert [r.serial for r in result.rows] == ["SN-1"]
    assert messages(result) == ["line 3: 'stray' in column 2, which has no known header."]


def test_the_header_is_the_first_row_with_a_value():
    result = pack_rows_parse([(1, ["", ""]), (2, ["serial", ""]), (3, ["SN-1", ""])], today=TODAY)
    assert [(r.line, r.serial) for r in result.rows] == [(3, "SN-1")]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (row(soh="104"), "line 2, claimed SOH: 104 is above 100 %."),
        (row(soh="-1"), "line 2, claimed SOH: -1 is below 0 %."),
        (row(soh="eighty"), "line 2, claimed SOH: 'eighty' is not a number."),
        (row(soh="NaN"), "line 2, claimed SOH: 'NaN' is not a number."),
        (row(soh="85.555"), "line 2, claimed SOH: 85.555 has more than 2 decimal places."),
        (row(cycles="-5"), "line 2, cycle count: -5 is negative."),
        (row(cycles="12.5"), "line 2, cycle count: '12.5' is not a whole number."),
        (row(cycles="9" * 12), "line 2, cycle count: 999999999999 is more cycles than any pack "
                               "goes through."),
        (row(vin="ABC", removed="2025-01-01"),
         "line 2, VIN: 'ABC' is not a VIN (17 letters and digits, without I, O or Q)."),
        (row(vin="WVWZZZ1JZXW00000O", removed="2025-01-01"),
         "line 2, VIN: 'WVWZZZ1JZXW00000O' is not a VIN (17 letters and digits, without I, O "
         "or Q)."),
        (row(made="01/02/2018"),
         "line 2, manufactured on: '01/02/2018' is not an ISO date (YYYY-MM-DD)."),
        (row(made="2018-02-30"), "line 2, manufactured on: 2018-02-30 is not a real date."),
        (row(made="2020-01-01", removed="2019-06-01"),
         "line 2, removed on: The removal from service date 2019-06-01 is before the packs were "
         "made (2020-01-01)."),
        (row(removed="2026-06-02"),
         "line 2, removed on: The removal from service date 2026-06-02 is in the future."),
        (row(made="2020-01-01", in_service="2019-01-01"),
         "line 2, in service on: The entry into service date 2019-01-01 is before the packs "
         "were made (2020-01-01)."),
        (row(serial="", soh="80"), "line 2, serial: a pack needs a serial."),
        (row(serial="S" * 101), "line 2, serial: SSSSSSSSSSSSSSSSSSSS… is longer than 100 "
                                "characters."),
        (row(serial="A\x07B"), "line 2, serial: 'A\\x07B' holds a control character."),
        (row(vin=VIN), "line 2, VIN: a VIN is recorded with the pack's service: give its "
                       "in-service or removal date."),
        (row(notes="n"), "line 2, notes: a note is kept with the pack's history: give a "
                         "manufacture, in-service or removal date for it."),
        (row(made="2018-01-01", notes="n" * 2001), "line 2, notes: 2,001 characters; at most "
                                                    "2,000."),
        ([*row(), "extra"], "line 2: 9 values but the header has 8 columns."),
    ],
)  # fmt: skip
def test_each_problem_is_named_with_its_line_and_column(cells, message):
    result = parse(cells)
    assert messages(result) == [message]
    assert result.rows == [] and not result.ok


def test_every_problem_of_a_row_is_reported_at_once_in_column_order():
    result = parse(row(soh="104", cycles="-1", made="2020-01-01", removed="2019-01-01"))
    assert [e.column for e in result.errors] == ["claimed_soh_pct", "cycle_count", "removed_on"]


def test_a_date_that_cannot_be_read_does_not_also_blame_the_vin():
    result = parse(row(vin=VIN, removed="yesterday"))
    assert [e.column for e in result.errors] == ["removed_on"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("85", Decimal("85.00")), ("85.5 %", Decimal("85.50")), ("85,25", Decimal("85.25")),
     ("100", Decimal("100.00")), ("0", Decimal("0.00")), ("85.50", Decimal("85.50"))],
)  # fmt: skip
def test_soh_spellings(text, value):
    assert parse(row(soh=text)).rows[0].claimed_soh_pct == value


def test_workbook_cells_arrive_typed():
    cells = [12345.0, 85.5, 800.0, VIN, datetime(2018, 1, 1), None, date(2025, 5, 1), None]
    (pack,) = parse(cells).rows
    assert (pack.serial, pack.claimed_soh_pct, pack.cycle_count) == ("12345", Decimal("85.50"), 800)
    assert (pack.manufactured_on, pack.removed_on) == (date(2018, 1, 1), date(2025, 5, 1))
    assert parse(row(made="2018-01-01 00:00:00")).rows[0].manufactured_on == date(2018, 1, 1)
    assert messages(parse([*row()[:2], 800.5, *row()[3:]])) == [
        "line 2, cycle count: '800.5' is not a whole number."
    ]


def test_a_short_row_leaves_its_missing_cells_blank():
    (pack,) = parse(["SN-1", "80"]).rows
    assert pack.claimed_soh_pct == Decimal("80.00") and pack.removed_on is None


def test_serials_repeated_in_the_file_are_named_whatever_their_case():
    result = parse(row("ABC-1"), row("X"), row("abc-1"), row(" ABC-1 "))
    assert messages(result) == [
        "line 4, serial: abc-1 repeats line 2.",
        "line 5, serial: ABC-1 repeats line 2.",
    ]
    assert [r.serial for r in result.rows] == ["ABC-1", "X"]


def test_blank_rows_are_skipped_and_lines_keep_their_numbers():
    result = parse(row("A"), row(""), ["", None], row("B", soh="101"))
    assert [r.line for r in result.rows] == [2]
    assert messages(result) == ["line 5, claimed SOH: 101 is above 100 %."]
    assert result.rows_read == 2


def test_empty_file_and_header_only():
    assert messages(pack_rows_parse([], today=TODAY)) == [
        "The file is empty: no header and no packs."
    ]
    assert messages(pack_rows_parse([(1, [None, ""])], today=TODAY)) == [
        "The file is empty: no header and no packs."
    ]
    assert messages(parse()) == ["The file has a header but no packs."]


def test_more_rows_than_the_limit_are_refused_without_reading_on():
    consumed = []

    def lines():
        yield 1, ["serial"]
        for n in range(2, 10_000_000):
            consumed.append(n)
            yield n, [f"SN-{n}"]

    result = pack_rows_parse(lines(), today=TODAY, max_rows=5)
    assert result.rows == []
    assert messages(result) == [
        "The file has more than 5 rows of packs; import at most 5 at a time (split the file)."
    ]
    assert len(consumed) == 6
    assert MAX_ROWS == 20_000


def test_each_row_joins_the_lots_own_history_as_its_pack_would():
    """A pack's story is the lot's events and its own, checked as the history form checks
    it: its dates after the lot's manufacture (or its own, which replaces the lot's)."""
    made = HistoryFact("manufactured", date(2018, 1, 1))
    transfer = HistoryFact("custody_transfer", date(2019, 1, 1), custody_from="A", custody_to="B")
    result = parse(
        row("A", removed="2017-05-01"),
        row("B", made="2016-01-01", removed="2017-05-01"),
        row("C", made="2019-06-01"),
        lot_history=[made, transfer],
    )
    assert messages(result) == [
        "line 2, removed on: The removal from service date 2017-05-01 is before the packs were "
        "made (2018-01-01).",
        "line 4: The custody transfer date 2019-01-01 is before the packs were made (2019-06-01).",
    ]
    assert [r.serial for r in result.rows] == ["B"]


def test_a_problem_the_lots_history_already_had_is_not_the_rows():
    incoherent = [HistoryFact("manufactured", date(2018, 1, 1)),
                  HistoryFact("removed", date(2017, 1, 1))]  # fmt: skip
    result = parse(row("A", in_service="2018-06-01"), lot_history=incoherent)
    assert messages(result) == []


def test_a_row_that_makes_the_lots_events_incoherent_is_named():
    lot_history = [HistoryFact("removed", date(2024, 1, 1))]
    result = parse(row("A", in_service="2025-01-01"), lot_history=lot_history)
    assert len(result.errors) == 1 and result.errors[0].line == 2
    assert "before" in result.errors[0].message


def test_error_groups_follow_the_columns_and_cap_what_is_shown():
    errors = [
        RowError(None, None, "too many"),
        RowError(3, "removed_on", "a"),
        RowError(2, "claimed_soh_pct", "b"),
        RowError(4, "claimed_soh_pct", "c"),
        RowError(5, None, "d"),
        RowError(1, "header", "e"),
    ]
    groups = error_groups(errors)
    assert [(g.title, g.total) for g in groups] == [
        ("The file", 1), ("The header", 1), ("Claimed SOH", 2), ("Removed on", 1),
        ("Whole rows", 1),
    ]  # fmt: skip
    capped = error_groups(errors, limit=3)
    assert [len(g.shown) for g in capped] == [1, 1, 1, 0, 0]
    assert [g.hidden for g in capped] == [0, 0, 1, 1, 1]


def test_row_errors_read_as_sentences():
    assert str(RowError(14, "claimed_soh_pct", "104 is above 100 %.")) == (
        "line 14, claimed SOH: 104 is above 100 %."
    )
    assert str(RowError(20, None, "x.")) == "line 20: x."
    assert str(RowError(None, None, "The file is empty.")) == "The file is empty."


cells = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=True),
    st.booleans(),
)


@given(st.lists(cells, max_size=10))
def test_any_cells_give_a_row_or_named_errors_never_an_exception(values):
    parsed = row_parse(7, HEADER, values, today=TODAY)
    if isinstance(parsed, PackRow):
        assert parsed.line == 7 and parsed.serial
        assert parsed.claimed_soh_pct is None or 0 <= parsed.claimed_soh_pct <= 100
        assert parsed.cycle_count is None or parsed.cycle_count >= 0
        assert all(on <= TODAY for _kind, on in parsed.events())
    else:
        assert parsed and all(e.line == 7 and e.message for e in parsed)


rows = st.builds(
    lambda serial, soh, cycles, made, life, vin: (serial, soh, cycles, made, life, vin),
    st.text(alphabet="ABCDEFGHJK0123456789-", min_size=1, max_size=20),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=100_000)),
    st.dates(min_value=date(2000, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=5000),
    st.sampled_from(["", VIN]),
)


@given(st.lists(rows, min_size=1, max_size=30, unique_by=lambda r: r[0].upper()))
def test_valid_rows_written_as_text_read_back_as_they_were(packs):
    lines = [(1, ["serial", "Claimed SOH (%)", "cycles", "manufacture_date", "removed_on", "VIN"])]
    for n, (serial, soh, cycles, made, life, vin) in enumerate(packs, start=2):
        removed = min(made + timedelta(days=life), TODAY)
        lines.append((n, [serial, "" if soh is None else str(soh),
                          "" if cycles is None else str(cycles), made.isoformat(),
                          removed.isoformat(), vin]))  # fmt: skip
    result = pack_rows_parse(lines, today=TODAY)
    assert result.errors == []
    assert [(r.serial, r.claimed_soh_pct, r.cycle_count, r.manufactured_on, r.vin)
            for r in result.rows] == [
        (s, soh, c, made, vin) for s, soh, c, made, _life, vin in packs
    ]  # fmt: skip


@given(st.lists(st.text(alphabet="abAB1-", min_size=1, max_size=4), min_size=1, max_size=40))
def test_every_repeat_of_a_serial_is_named_once_against_its_first_line(serials):
    result = parse(*([s] for s in serials), header=["serial"])
    first: dict[str, int] = {}
    expected = []
    for line, serial in enumerate(serials, start=2):
        key = serial.upper()
        if key in first:
            expected.append(f"line {line}, serial: {serial} repeats line {first[key]}.")
        else:
            first[key] = line
    assert messages(result) == expected
    assert len(result.rows) == len(first)
