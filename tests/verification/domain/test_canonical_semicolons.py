"""The canonical CSV as a spreadsheet in a decimal-comma locale exports it: fields separated by
';', numbers with a decimal comma. Read on the columnar path with the comma file's numbers; the
pure-Python reader agrees row for row and message for message."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verification.domain.canonical_fast as fast
from tests.verification.domain.readers import SYNTHETIC, assert_same
from tests.verification.domain.readers import outcome as read_outcome
from verification.domain.canonical_fast import read_canonical, read_canonical_python
from verification.domain.canonical_python import semicolon_dialect
from verification.domain.formats import detect_format
from verification.domain.measure import measure

HEADER = "time_s;current_a;voltage_v;temperature_c;cycle;step\n"


def european(text: str, quoted: bool = False, end: str = "\n", bom: bool = False) -> bytes:
    lines = text.splitlines()
    names = lines[0].split(",")
    header = ";".join(f'"{n}"' for n in names) if quoted else ";".join(names)
    rows = [line.replace(",", ";").replace(".", ",") for line in lines[1:]]
    return (("\ufeff" if bom else "") + end.join([header, *rows]) + end).encode()


def outcome(reader, data: bytes, batch_rows: int = 1_000) -> str | dict:
    return read_outcome(reader, data, batch_rows)


@pytest.mark.parametrize(
    ("quoted", "end", "bom"),
    [(False, "\n", False), (True, "\r\n", True), (True, "\n", False), (False, "\r", False)],
)
def test_the_export_is_read_on_the_columnar_path_with_the_comma_files_numbers(
    quoted: bool, end: str, bom: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = european(SYNTHETIC, quoted, end, bom)
    comma = outcome(read_canonical_python, SYNTHETIC.encode())
    assert_same(outcome(read_canonical_python, data), comma)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fell back to the slow reader")

    monkeypatch.setattr(fast, "slow_batches", refuse)
    assert_same(outcome(read_canonical, data), comma)


def test_the_export_gives_the_comma_files_figures() -> None:
    figures = [
        measure(io.BytesIO(data), nominal_capacity_ah=50, filename="export.csv").to_dict()
        for data in (SYNTHETIC.encode(), european(SYNTHETIC, quoted=True, end="\r\n"))
    ]
    assert figures[0] == figures[1]
    assert figures[0]["soh_pct"] == pytest.approx(85, abs=0.1)


def test_it_is_detected_as_the_canonical_csv() -> None:
    assert detect_format(european(SYNTHETIC, quoted=True, bom=True)[:4096], "x.csv") == (
        "canonical_csv"
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["time_s;current_a;voltage_v;cycle;step\n", "0;-1,5;3,3;1;1\n"], True),
        (["\n", '"time_s";"current_ma";"voltage_mv";"cycle";"step"\n', "0;-1;3;1;1"], True),
        (["time_s;current_a;voltage_v;cycle;step\n", "0;-1;3.3;1;1\n"], False),  # a point
        (["time_s;current_a;voltage_v;cycle;step\n"], False),  # no row to tell
        (["time_s;current_a;voltage_v;cycle;step\n", "\n", "0;-1,5;3,3;1;1\n"], False),
        (["time_s;current_a;voltage_v;step\n", "0;-1,5;3,3;1\n"], False),  # no cycle
        (["time_s,current_a,voltage_v,cycle,step\n", "0;-1,5;3,3;1;1\n"], False),
        (["time_s;current_a;voltage_v;cycle;step,x\n", "0;-1,5;3,3;1;1\n"], False),
    ],
)
def test_which_files_are_the_export(lines: list[str], expected: bool) -> None:
    assert semicolon_dialect(lines) is expected


ROW = "0;-1,5;3,3;25;1;1\n"
BAD = [
    HEADER + ROW + "10;-1,5;3.3;25;1;1\n",  # a decimal point among decimal commas
    HEADER + ROW + "10;-1,5;3,3,3;25;1;1\n",
    HEADER + ROW + "10;-1,5;3,3;25;1,5;1\n",
    HEADER + ROW + "10;-1,5;3,3;25;1\n",
    HEADER + ROW + "5;-1,5;3,3;25;1;1\n" + "1;-1,5;3,3;25;1;1\n",
    HEADER + ROW + "10;-1,5;3300;25;1;1\n",
    HEADER + ROW + "10;-1,5;3,",  # torn
    HEADER + ROW + "10;-1,5;3,3;25;1;1;7\n",
    HEADER + ROW + "10,0;-1,5;3,3;25;1;1\n" + "20;-1,5;3,3;;1;1",
    "time_s;current_a;voltage_v;cycle;step\n0;-1;3.3;1;1\n",  # refused, naming the semicolons
]


@pytest.mark.parametrize("text", BAD, ids=range(len(BAD)))
def test_bad_rows_give_the_python_readers_message(text: str) -> None:
    data = text.encode()
    expected = outcome(read_canonical_python, data)
    assert_same(outcome(read_canonical, data), expected)


def test_a_decimal_point_is_named_with_its_row_and_column() -> None:
    message = outcome(read_canonical, (HEADER + ROW + "10;-1,5;3.3;25;1;1\n").encode())
    assert message == "row 3: voltage_v is not a number ('3.3')"


def test_a_bad_row_deep_in_a_long_export(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "CHUNK_BYTES", 1)
    rows = "".join(f"{i * 10};-1,5;3,3{i % 7};25;1;2\n" for i in range(20_000))
    data = (HEADER + rows + "200000;-1,5;3.3;25;1;2\n" + rows[:2000]).encode()
    expected = outcome(read_canonical_python, data)
    assert expected == "row 20002: voltage_v is not a number ('3.3')"
    assert outcome(read_canonical, data) == expected


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.text(alphabet="0123456789.,;-+eE\n\r naif_\"'", max_size=400))
def test_fuzz_fast_and_python_agree_on_semicolon_text(body: str) -> None:
    data = (HEADER + ROW + body).encode()
    assert_same(outcome(read_canonical, data, 5), outcome(read_canonical_python, data, 5))
