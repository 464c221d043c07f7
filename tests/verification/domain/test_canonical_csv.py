import io

import pytest

from tests.verification.oracles import open_canonical_csv as open_csv
from verification.domain import CANONICAL_COLUMNS, CanonicalCsv, Sample, TestDataError, Units

HEADER = "time_s,current_a,voltage_v,temperature_c,cycle,step\n"


def parse(text: str | bytes) -> tuple[CanonicalCsv, list[Sample]]:
    data = text.encode() if isinstance(text, str) else text
    parsed = open_csv(io.BytesIO(data))
    return parsed, list(parsed)


def error(text: str | bytes) -> TestDataError:
    with pytest.raises(TestDataError) as info:
        parse(text)
    return info.value


def good_rows(count: int) -> str:
    return "".join(f"{i * 10},-1.5,3.3,25,1,2\n" for i in range(count))


class OneByteAtATime(io.RawIOBase):
    """A storage handle that returns tiny chunks, so lines and characters straddle reads."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(1)


def test_reads_samples_in_si_units() -> None:
    parsed, samples = parse(HEADER + "0,0,3.35,24.5,1,1\n10,-2.5,3.2,25.1,1,2\n")
    assert samples == [
        Sample(time_s=0.0, current_a=0.0, voltage_v=3.35, temperature_c=24.5, cycle=1, step=1),
        Sample(time_s=10.0, current_a=-2.5, voltage_v=3.2, temperature_c=25.1, cycle=1, step=2),
    ]
    assert parsed.rows_read == 2
    assert parsed.units == Units()
    assert parsed.units.to_dict() == {
        "time": "s",
        "current": "A",
        "voltage": "V",
        "discharge_sign": "negative",
    }
    assert parsed.warnings == []


def test_temperature_is_optional_and_may_be_blank() -> None:
    _, samples = parse("time_s,current_a,voltage_v,cycle,step\n0,-1,3.3,1,1\n")
    assert samples[0].temperature_c is None
    _, samples = parse(HEADER + "0,-1,3.3,,1,1\n")
    assert samples[0].temperature_c is None


def test_header_is_case_insensitive_and_spaces_are_stripped() -> None:
    _, samples = parse(" Time_S , CURRENT_A,Voltage_V ,Cycle,STEP\n 5 , -1 , 3.3 , 2 , 3 \n")
    assert samples == [Sample(5.0, -1.0, 3.3, None, 2, 3)]


def test_columns_may_come_in_any_order() -> None:
    _, samples = parse("step,cycle,voltage_v,current_a,time_s\n4,2,3.3,-1,5\n")
    assert samples == [Sample(5.0, -1.0, 3.3, None, 2, 4)]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_any_line_ending(ending: str) -> None:
    text = (HEADER + good_rows(3)).replace("\n", ending)
    _, samples = parse(text)
    assert len(samples) == 3
    parsed = open_csv(OneByteAtATime(text.encode()))  # "\r" and "\n" arrive in separate reads
    assert len(list(parsed)) == 3


def test_utf8_bom_and_multibyte_characters_split_across_reads() -> None:
    text = "\ufefftime_s,current_a,voltage_v,cycle,step,notes\n0,-1,3.3,1,1,25 °C Δ\n"
    parsed = open_csv(OneByteAtATime(text.encode()))
    assert [s.time_s for s in parsed] == [0.0]
    assert parsed.warnings == ["ignored column(s) not in the canonical CSV: notes"]


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers() -> None:
    _, samples = parse("\n" + HEADER + "\n0,-1,3.3,25,1,1\n\n")
    assert len(samples) == 1
    assert "row 6: voltage_v is not a number" in str(
        error("\n" + HEADER + "\n" * 3 + "0,-1,x,,1,1")
    )


def test_unknown_columns_are_ignored_and_listed() -> None:
    parsed, samples = parse(
        "time_s,current_a,voltage_v,cycle,step,Cell_1,,power_w\n0,-1,3,1,1,a,b,c\n"
    )
    assert samples[0].voltage_v == 3.0
    assert parsed.warnings == [
        "ignored column(s) not in the canonical CSV: cell_1, (unnamed column 7), power_w"
    ]
    many = ",".join(f"x{i}" for i in range(15))
    parsed, _ = parse(f"time_s,current_a,voltage_v,cycle,step,{many}\n0,-1,3,1,1" + ",0" * 15)
    assert parsed.warnings[0].endswith("x9 and 5 more")


@pytest.mark.parametrize(
    ("column", "value", "field", "expected", "unit"),
    [
        ("time_ms", "90000", "time_s", 90.0, ("time", "ms")),
        ("time_min", "1.5", "time_s", 90.0, ("time", "min")),
        ("time_h", "0.025", "time_s", 90.0, ("time", "h")),
        ("current_ma", "-2500", "current_a", -2.5, ("current", "mA")),
        ("voltage_mv", "3300", "voltage_v", 3.3, ("voltage", "mV")),
    ],
)
def test_unit_suffixed_columns_are_converted_and_recorded(
    column: str, value: str, field: str, expected: float, unit: tuple[str, str]
) -> None:
    base = {"time_s": "90", "current_a": "-2.5", "voltage_v": "3.3", "cycle": "1", "step": "1"}
    del base[field]
    base[column] = value
    parsed, samples = parse(",".join(base) + "\n" + ",".join(base.values()) + "\n")
    assert getattr(samples[0], field) == pytest.approx(expected, rel=1e-12)
    assert getattr(parsed.units, unit[0]) == unit[1]


def test_header_problems_raise_when_opened_not_when_read() -> None:
    with pytest.raises(TestDataError, match="missing column"):
        CanonicalCsv(iter(["time_s,current_a\n", "this line is never read\n"]))


@pytest.mark.parametrize("text", [b"", b"\n\n   \n", b"\xef\xbb\xbf"])
def test_empty_file(text: bytes) -> None:
    assert str(error(text)) == "the file is empty"


def test_header_only() -> None:
    assert str(error(HEADER)) == "no data rows after the header"
    assert str(error(HEADER + "\n\n")) == "no data rows after the header"


def test_missing_column() -> None:
    err = error("time_s,current_a,cycle,step\n0,-1,1,1\n")
    assert str(err) == (
        "missing column(s): voltage_v (expected time_s, current_a, voltage_v, cycle, step)"
    )
    assert err.row is None
    assert CANONICAL_COLUMNS == ("time_s", "current_a", "voltage_v", "cycle", "step")


def test_missing_columns_in_a_semicolon_file_say_so() -> None:
    message = str(error("time_s;current_a;voltage_v;cycle;step\n0;-1;3.3;1;1\n"))
    assert message.startswith("missing column(s): time_s, current_a, voltage_v, cycle, step")
    assert "separated by semicolons" in message


@pytest.mark.parametrize(
    ("header", "phrase"),
    [
        ("time_s,time_ms,current_a,voltage_v,cycle,step", "both time_s and time_ms are present"),
        ("time_s,current_a,voltage_v,voltage_v,cycle,step", "column voltage_v appears twice"),
    ],
)
def test_one_column_per_quantity(header: str, phrase: str) -> None:
    assert phrase in str(error(header + "\n0,-1,3.3,3.3,1,1\n"))


def test_not_a_number_names_row_column_and_value() -> None:
    text = HEADER + good_rows(15) + "150,-1.5,abc,25,1,2\n"
    err = error(text)
    assert str(err) == "row 17: voltage_v is not a number ('abc')"
    assert err.row == 17


def test_wrong_number_of_fields() -> None:
    err = error(HEADER + good_rows(3) + "40,-1.5,3.3\n")
    assert str(err) == "row 5: expected 6 fields, found 3"
    assert err.row == 5


def test_empty_required_field() -> None:
    assert str(error(HEADER + "0,-1,,25,1,1\n")) == "row 2: voltage_v is empty"


@pytest.mark.parametrize("value", ["1.5", "one", "", "nan", "1e999"])
def test_cycle_must_be_an_integer(value: str) -> None:
    err = error(HEADER + f"0,-1,3.3,25,{value},1\n")
    assert str(err) == f"row 2: cycle is not an integer ({value!r})"


def test_step_must_be_an_integer() -> None:
    assert str(error(HEADER + "0,-1,3.3,25,1,2.5\n")) == "row 2: step is not an integer ('2.5')"


def test_integral_floats_are_accepted_for_cycle_and_step() -> None:
    _, samples = parse(HEADER + "0,-1,3.3,25,2.0,3\n")
    assert (samples[0].cycle, samples[0].step) == (2, 3)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_non_finite_numbers_are_rejected(value: str) -> None:
    err = error(HEADER + f"0,{value},3.3,25,1,1\n")
    assert str(err) == f"row 2: current_a is not a finite number ({value!r})"


def test_python_only_number_spellings_are_rejected() -> None:
    assert "time_s is not a number ('1_000')" in str(error(HEADER + "1_000,-1,3.3,25,1,1\n"))


def test_time_going_backwards() -> None:
    rows = "".join(f"{t},-1,3.3,25,1,1\n" for t in (0, 10, 20, 60, 90, 100, 130))
    err = error(HEADER + rows + "120,-1,3.3,25,1,1\n")
    assert str(err) == "row 9: time_s goes backwards (120.0 after 130.0)"
    assert err.row == 9


def test_equal_time_stamps_are_allowed_at_a_step_change() -> None:
    _, samples = parse(HEADER + "0,0,3.3,25,1,1\n0,-1,3.3,25,1,2\n")
    assert len(samples) == 2


def test_time_backwards_is_reported_in_the_files_own_unit() -> None:
    text = "time_ms,current_a,voltage_v,cycle,step\n5000,-1,3.3,1,1\n4000,-1,3.3,1,1\n"
    assert str(error(text)) == "row 3: time_ms goes backwards (4000.0 after 5000.0)"


def test_millivolts_under_a_volts_header_get_a_hint() -> None:
    err = error(HEADER + "0,-1,3650,25,1,1\n")
    assert str(err) == (
        "row 2: voltage_v is 3650; that looks like millivolts: "
        "name the column voltage_mv or convert to volts"
    )


def test_voltage_out_of_range() -> None:
    assert str(error(HEADER + "0,-1,-0.2,25,1,1\n")).startswith("row 2: voltage_v is -0.2; ")
    text = "time_s,current_a,voltage_mv,cycle,step\n0,-1,3650000,1,1\n"
    message = str(error(text))
    assert message.startswith("row 2: voltage_mv is 3650000; above the 1500 V")
    assert "millivolts" not in message
    assert str(error(HEADER + "0,-1,1600000,25,1,1\n")).endswith(
        "above the 1500 V of any battery pack"
    )


def test_pack_voltages_up_to_1500_v_are_accepted() -> None:
    _, samples = parse(HEADER + "0,-1,1500,25,1,1\n")
    assert samples[0].voltage_v == 1500.0


def test_milliamps_under_an_amps_header_get_a_hint() -> None:
    assert str(error(HEADER + "0,-12000,3.3,25,1,1\n")) == (
        "row 2: current_a is -12000; that looks like milliamps: "
        "name the column current_ma or convert to amps"
    )
    text = "time_s,current_ma,voltage_v,cycle,step\n0,-6000000,3.3,1,1\n"
    assert "current_ma is -6000000; beyond the 5000 A" in str(error(text))


def test_a_csv_level_error_names_the_row() -> None:
    # csv's own field size limit is left alone; its error is translated instead.
    lines = iter([HEADER, "0,-1,3.3,25,1,1\n", "x" * 10_000_000 + "\n"])
    parsed = CanonicalCsv(lines)
    with pytest.raises(TestDataError, match=r"^row 3: not readable as CSV \(field larger") as info:
        list(parsed)
    assert info.value.row == 3


def test_an_overlong_line_is_refused_before_it_is_read_whole() -> None:
    err = error(HEADER.encode() + b"1," * 3_000_000)
    assert str(err).startswith("row 2: the line is longer than 100000 characters")


def test_not_utf8() -> None:
    latin1 = (HEADER.replace("temperature_c", "temperature_°c") + good_rows(2)).encode("latin-1")
    assert str(error(latin1)).startswith("the file is not UTF-8 text; expected the canonical CSV")


@pytest.mark.parametrize(
    "junk",
    [
        bytes(range(256)) * 4,
        b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100,  # a zip (xlsx) header
        b"\x89HDF\r\n\x1a\n" + b"\x00\x01" * 50,
        b"\x00\x00\x00",
    ],
)
def test_binary_junk_is_a_test_data_error(junk: bytes) -> None:
    error(junk)


def test_no_negative_current_is_not_a_parsing_error() -> None:
    _, samples = parse(HEADER + "0,2,3.3,25,1,1\n10,2,3.4,25,1,1\n")
    assert len(samples) == 2


def test_errors_are_value_errors_with_the_message_as_text() -> None:
    err = TestDataError("row 4: something", row=4)
    assert isinstance(err, ValueError)
    assert str(err) == "row 4: something"
    assert err.row == 4
    assert TestDataError("plain").row is None


def test_streams_rows_one_at_a_time() -> None:
    consumed = []

    def lines():
        yield HEADER
        for i in range(1_000_000):
            consumed.append(i)
            yield f"{i},-1,3.3,25,1,1\n"

    parsed = CanonicalCsv(lines())
    assert consumed == []
    first = next(iter(parsed))
    assert first.time_s == 0.0
    assert len(consumed) == 1


def test_can_be_read_only_once() -> None:
    parsed, _ = parse(HEADER + good_rows(1))
    with pytest.raises(RuntimeError):
        list(parsed)
