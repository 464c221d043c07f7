"""The fast canonical reader gives the slow reader's numbers and the slow reader's messages."""

import io
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.verification.domain.readers import SYNTHETIC, assert_same
from tests.verification.domain.readers import outcome as read_outcome
from tests.verification.oracles import open_canonical_csv
from verification.domain import TestDataError
from verification.domain.canonical_fast import read_canonical, read_canonical_python
from verification.domain.figures import compute_figures

HEADER = "time_s,current_a,voltage_v,temperature_c,cycle,step\n"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def good_rows(count: int, start: int = 0) -> str:
    return "".join(f"{i * 10},-1.5,3.3,25,1,2\n" for i in range(start, start + count))


def read_all(reader, data: bytes, batch_rows: int = 250_000) -> tuple[dict, list[dict]]:
    test_data = reader(io.BytesIO(data), batch_rows=batch_rows)
    return test_data, list(test_data.batches())


def outcome(reader, data: bytes, batch_rows: int = 250_000) -> str | dict:
    return read_outcome(reader, data, batch_rows)


def assert_close(a: object, b: object) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_close(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_close(x, y)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12)
    else:
        assert a == b


def slow_message(data: bytes) -> str:
    with pytest.raises(TestDataError) as info:
        list(open_canonical_csv(io.BytesIO(data)))
    return str(info.value)


def test_same_samples_as_the_slow_reader() -> None:
    data = SYNTHETIC.encode()
    _, batches = read_all(read_canonical, data, batch_rows=1000)
    samples = list(open_canonical_csv(io.BytesIO(data)))
    columns = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
    assert len(columns["time_s"]) == len(samples)
    for key in ("time_s", "current_a", "voltage_v", "temperature_c", "cycle", "step"):
        np.testing.assert_array_equal(columns[key], [getattr(s, key) for s in samples])
    assert max(len(b["time_s"]) for b in batches) <= 1000
    assert columns["cycle"].dtype == np.int64 and columns["time_s"].dtype == np.float64


@pytest.mark.parametrize(
    ("time", "current", "voltage"),
    [
        ("time_s", "current_a", "voltage_v"),
        ("time_ms", "current_ma", "voltage_mv"),
        ("time_min", "current_a", "voltage_v"),
        ("time_h", "current_ma", "voltage_v"),
    ],
)
def test_fast_and_slow_figures_agree(time: str, current: str, voltage: str) -> None:
    lines = SYNTHETIC.splitlines()
    scale = {
        "time_ms": 1000,
        "time_min": 1 / 60,
        "time_h": 1 / 3600,
        "current_ma": 1000,
        "voltage_mv": 1000,
    }
    body = []
    for line in lines[1:]:
        t, i, v, *rest = line.split(",")
        t, i, v = (float(x) * scale.get(n, 1) for x, n in ((t, time), (i, current), (v, voltage)))
        body.append(",".join((repr(t), repr(i), repr(v), *rest)))
    header = lines[0].replace("time_s", time).replace("current_a", current)
    data = "\n".join([header.replace("voltage_v", voltage), *body]).encode()
    figures = [
        compute_figures(
            reader(io.BytesIO(data), batch_rows=997),
            nominal_capacity_ah=50,
            baseline_resistance_mohm=25,
        ).to_dict()
        for reader in (read_canonical, read_canonical_python)
    ]
    assert_close(figures[0], figures[1])  # batch boundaries differ: sums may round apart
    assert figures[0]["units"]["time"] == time.removeprefix("time_")
    assert figures[0]["soh_pct"] == pytest.approx(85, abs=0.1)


# Every bad input of test_canonical_csv.py, plus errors deep in a file that has already been
# handed out in batches.
BAD_INPUTS = [
    b"",
    b"\n\n   \n",
    b"\xef\xbb\xbf",
    HEADER.encode(),
    (HEADER + "\n\n").encode(),
    b"time_s,current_a,cycle,step\n0,-1,1,1\n",
    b"time_s;current_a;voltage_v;cycle;step\n0;-1;3.3;1;1\n",
    b"time_s,time_ms,current_a,voltage_v,cycle,step\n0,-1,3.3,3.3,1,1\n",
    b"time_s,current_a,voltage_v,voltage_v,cycle,step\n0,-1,3.3,3.3,1,1\n",
    (HEADER + good_rows(15) + "150,-1.5,abc,25,1,2\n").encode(),
    (HEADER + good_rows(3) + "40,-1.5,3.3\n").encode(),
    (HEADER + good_rows(3) + "40,-1.5,3.3,25,1,2,7\n").encode(),
    (HEADER + "0,-1,,25,1,1\n").encode(),
    *[(HEADER + f"0,-1,3.3,25,{v},1\n").encode() for v in ("1.5", "one", "", "nan", "1e999")],
    (HEADER + "0,-1,3.3,25,1,2.5\n").encode(),
    (HEADER + "0,-1,3.3,25,0x1,1\n").encode(),
    *[(HEADER + f"0,{v},3.3,25,1,1\n").encode() for v in ("nan", "NaN", "inf", "-inf", "Infinity")],
    (HEADER + "0,-1,3.3,inf,1,1\n").encode(),
    (HEADER + "1_000,-1,3.3,25,1,1\n").encode(),
    (HEADER + "".join(f"{t},-1,3.3,25,1,1\n" for t in (0, 10, 20, 60, 130, 120))).encode(),
    b"time_ms,current_a,voltage_v,cycle,step\n5000,-1,3.3,1,1\n4000,-1,3.3,1,1\n",
    (HEADER + "0,-1,3650,25,1,1\n").encode(),
    (HEADER + "0,-1,-0.2,25,1,1\n").encode(),
    b"time_s,current_a,voltage_mv,cycle,step\n0,-1,3650000,1,1\n",
    (HEADER + "0,-1,1600000,25,1,1\n").encode(),
    (HEADER + "0,-12000,3.3,25,1,1\n").encode(),
    b"time_s,current_ma,voltage_v,cycle,step\n0,-6000000,3.3,1,1\n",
    ("\n" + HEADER + "\n" * 3 + "0,-1,x,,1,1").encode(),
    HEADER.encode() + b"1," * 3_000_000,
    (HEADER.replace("temperature_c", "temperature_\u00b0c") + good_rows(2)).encode("latin-1"),
    bytes(range(256)) * 4,
    b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100,
    b"\x89HDF\r\n\x1a\n" + b"\x00\x01" * 50,
    b"\x00\x00\x00",
    # deep in a file, after the fast path has handed out batches
    (HEADER + good_rows(5000) + "50000,-1.5,3.3,25,1\n").encode(),
    (HEADER + good_rows(5000) + "1,-1.5,3.3,25,1,2\n").encode(),
    (HEADER + good_rows(5000) + '50000,-1.5,"3.3,25,1,2\n').encode(),
    (HEADER + good_rows(5000) + "50000,-1.5,3.3,25,1,2\x00\n").encode(),
    (HEADER + good_rows(5000)).encode() + b"50000,-1.5,3\xff.3,25,1,2\n",
    ("time_s,current_a,voltage_v,cycle,step,note\n" + "0,-1,3.3,1,1,a\n" * 3000).encode()
    + b"1,-1,3.3,1,1,caf\xe9\n",
    (
        "time_s,current_a,voltage_v,cycle,step,note\n"
        + "0,-1,3.3,1,1,a\n" * 3000
        + "1,-1,3.3,1,1,"
        + "n" * 200_000
        + "\n"
    ).encode(),
]


@pytest.mark.parametrize("data", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_gives_the_slow_readers_message(data: bytes) -> None:
    expected = slow_message(data)
    assert outcome(read_canonical, data, batch_rows=1000) == expected
    assert outcome(read_canonical_python, data, batch_rows=1000) == expected


def test_cycle_numbers_beyond_int64_are_refused() -> None:
    data = (HEADER + good_rows(5000) + "50000,-1.5,3.3,25,99999999999999999999,2\n").encode()
    expected = "row 5002: cycle is out of range (99999999999999999999)"
    assert outcome(read_canonical, data, 1000) == expected
    assert outcome(read_canonical_python, data, 1000) == expected


def test_header_errors_raise_when_opened() -> None:
    with pytest.raises(TestDataError, match="missing column"):
        read_canonical(io.BytesIO(b"time_s,current_a\nnever read\n"))


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + "0,-1,\uff13.3,25,1,1\n10,-1,3.3,25,1,1\n").encode(),  # full-width 3
        (HEADER + "0,-1,3.3,25,1_0,1\n").encode(),
        (HEADER + good_rows(3) + "   \n\t\n" + good_rows(3, start=3)).encode(),
        (HEADER + '0,-1,"3.3",25,1,1\n').encode(),
        (HEADER + " 0 , -1 , 3.3 , 25 , 2.0 , 1e0 \n").encode(),
        ("time_s,current_a,voltage_v,cycle,step,note\n0,-1,3.3,1,1,caf\u00e9\n").encode(),
        (HEADER + good_rows(3000) + '30000,-1,3.3,25,1,1\n30010,-1,"3.3",25,1,1\n').encode(),
        (HEADER + good_rows(3000) + "30000,-1,3.3,25,\uff11,1\n" + good_rows(10, 3001)).encode(),
        ("\ufeff" + HEADER + "\r\n".join(good_rows(3000).splitlines())).encode(),
        (HEADER + "\r".join(good_rows(3000).splitlines())).encode(),
        (HEADER + good_rows(2000) + "20000,-1.5,3.3,,1,2\n").encode(),
    ],
)
def test_input_only_python_reads_gives_the_same_columns(data: bytes) -> None:
    fast = outcome(read_canonical, data, batch_rows=700)
    assert isinstance(fast, dict)
    assert_same(fast, outcome(read_canonical_python, data, batch_rows=700))
    samples = list(open_canonical_csv(io.BytesIO(data)))
    np.testing.assert_array_equal(fast["columns"]["voltage_v"], [s.voltage_v for s in samples])


def test_cell_columns_are_read_in_volts() -> None:
    data = (
        b"time_s,current_a,voltage_v,cycle,step,Cell_2_mV,cell_1_mv,notes\n"
        b"0,-1,7.4,1,1,3700,3650.5,x\n10,-1,7.3,1,1,,3600,y\n"
    )
    fast = outcome(read_canonical, data)
    assert_same(fast, outcome(read_canonical_python, data))
    np.testing.assert_array_equal(fast["columns"]["cell_1_v"], [3.6505, 3.6])
    np.testing.assert_array_equal(fast["columns"]["cell_2_v"], [3.7, np.nan])
    assert fast["units"]["cell_voltage"] == "mV"
    assert fast["warnings"] == ["ignored column(s) not in the canonical CSV: notes"]


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        ("cell_1_v,cell_3_v", "3.3,3.3", "numbered from 1 without gaps; cell_2_v is missing"),
        ("cell_1_v,cell_1_v", "3.3,3.3", "column cell_1_v appears twice; keep one"),
        ("cell_1_v,cell_1_mv", "3.3,3300", "both cell_1_v and cell_1_mv are present; keep one"),
        ("cell_1_v,cell_2_mv", "3.3,3300", "cell voltage columns mix V and mV"),
        ("cell_1_v,cell_2_v", "3.3,x", "row 2: cell_2_v is not a number ('x')"),
        ("cell_1_v,cell_2_v", "3.3,nan", "row 2: cell_2_v is not a finite number ('nan')"),
        ("cell_1_v,cell_2_v", "3.3,3300", "row 2: cell_2_v is 3300; that looks like millivolts"),
        ("cell_1_v,cell_2_v", "3.3,-1", "row 2: cell_2_v is -1; a battery voltage is never"),
        ("cell_1_mv,cell_2_mv", "3.3,33000000", "row 2: cell_2_mv is 33000000; above the 10 V"),
    ],
)
def test_cell_column_errors(header: str, row: str, message: str) -> None:
    data = f"time_s,current_a,voltage_v,cycle,step,{header}\n0,-1,6.6,1,1,{row}\n".encode()
    for reader in (read_canonical, read_canonical_python):
        result = outcome(reader, data)
        assert isinstance(result, str) and message in result


def test_batches_can_be_read_again_and_the_stream_need_not_start_at_zero() -> None:
    data = b"junk before the file" + (HEADER + good_rows(50)).encode()
    stream = io.BytesIO(data)
    stream.seek(len(b"junk before the file"))
    test_data = read_canonical(stream, batch_rows=20)
    first = [b["time_s"].tolist() for b in test_data.batches()]
    assert first == [b["time_s"].tolist() for b in test_data.batches()]
    assert [len(b) for b in first] == [20, 20, 10]


def test_batch_rows_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_rows"):
        read_canonical(io.BytesIO(HEADER.encode()), batch_rows=0)


VALID_LINES = (HEADER + good_rows(40)).splitlines(keepends=True)


@FUZZ
@given(st.text(alphabet="0123456789.,-+eE\n\r naif_\"'\x00\uff13", max_size=600))
def test_fuzz_fast_and_python_agree_on_csv_like_text(body: str) -> None:
    data = (HEADER + body).encode()
    assert_same(outcome(read_canonical, data, 5), outcome(read_canonical_python, data, 5))


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_fast_and_python_agree_on_bytes(junk: bytes) -> None:
    data = b"".join(line.encode() for line in VALID_LINES[:20]) + junk
    assert_same(outcome(read_canonical, data, 7), outcome(read_canonical_python, data, 7))


def test_shuffled_and_corrupted_lines_agree() -> None:
    rng = random.Random(1)
    for _ in range(30):
        lines = VALID_LINES[1:]
        rng.shuffle(lines)
        data = bytearray((VALID_LINES[0] + "".join(lines)).encode())
        data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
        assert_same(outcome(read_canonical, data, 9), outcome(read_canonical_python, data, 9))


def test_a_clean_file_never_touches_the_slow_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    import verification.domain.canonical_fast as fast

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fell back to the slow reader")

    monkeypatch.setattr(fast, "slow_batches", refuse)
    data = ("\ufeff\n" + SYNTHETIC.replace("\n", "\r\n")).encode()
    _, batches = read_all(read_canonical, data, batch_rows=333)
    assert sum(len(b["time_s"]) for b in batches) == SYNTHETIC.count("\n") - 1


def test_stopping_early_stops_the_read_ahead_thread() -> None:
    import threading

    before = threading.active_count()
    test_data = read_canonical(io.BytesIO((HEADER + good_rows(200_000)).encode()), batch_rows=10)
    batches = test_data.batches()
    next(batches)
    assert threading.active_count() == before + 1
    batches.close()
    assert threading.active_count() == before


def _dialects() -> dict[str, str]:
    lines = SYNTHETIC.splitlines()
    names = lines[0].split(",")
    rows = lines[1:]
    quoted = ",".join(f'"{name}"' for name in names)
    return {
        "quoted header": quoted + "\n" + "\n".join(rows) + "\n",
        "quoted header, BOM, CRLF": "\ufeff" + quoted + "\r\n" + "\r\n".join(rows) + "\r\n",
        "every field quoted": "\n".join(",".join(f'"{f}"' for f in x.split(",")) for x in lines),
        "a quoted note with commas and quotes": lines[0]
        + ",note\n"
        + "\n".join(row + ',"a, b ""c"""' for row in rows),
        "CR line ends": "\r".join(lines) + "\r",
        "spaces around fields": lines[0] + "\n" + "\n".join(", ".join(x.split(",")) for x in rows),
        "an unnamed index column": ","
        + lines[0]
        + "\n"
        + "\n".join(f"{i},{row}" for i, row in enumerate(rows)),
        "UTF-8 text in an ignored column": lines[0]
        + ",note\n"
        + "\n".join(row + ",caf\u00e9" for row in rows),
    }


@pytest.mark.parametrize("dialect", sorted(_dialects()))
def test_every_dialect_is_read_on_the_fast_path_with_the_slow_readers_columns(
    dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import verification.domain.canonical_fast as fast

    data = _dialects()[dialect].encode()
    expected = outcome(read_canonical_python, data, batch_rows=1000)
    assert isinstance(expected, dict)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fell back to the slow reader")

    monkeypatch.setattr(fast, "slow_batches", refuse)
    assert_same(outcome(read_canonical, data, batch_rows=1000), expected)
    assert len(expected["columns"]["time_s"]) == SYNTHETIC.count("\n") - 1
