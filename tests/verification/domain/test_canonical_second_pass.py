"""The fast canonical reader's second pass starts at the chunk in doubt, not at the file's start,
and still gives the pure-Python reader's rows and messages (line numbers, time order, torn rows)."""

import random

import pytest

import verification.domain.canonical_fast as fast
from tests.verification.domain.readers import assert_same
from tests.verification.domain.readers import outcome as read_outcome
from verification.domain.canonical_fast import read_canonical, read_canonical_python

HEADER = "time_s,current_a,voltage_v,temperature_c,cycle,step\n"
ROWS = 20_000  # about 500 kB: five chunks of the smallest size the reader takes


def rows(count: int, start: int = 0, end: str = "\n") -> str:
    return "".join(f"{i * 10},-1.5,3.3{i % 7},25,1,2{end}" for i in range(start, start + count))


def outcome(reader, data: bytes, batch_rows: int = 4_096) -> str | dict:
    return read_outcome(reader, data, batch_rows)


@pytest.fixture
def resumed(monkeypatch: pytest.MonkeyPatch) -> list:
    """Small chunks, and a record of where each second pass started."""
    monkeypatch.setattr(fast, "CHUNK_BYTES", 1)  # raised to the reader's minimum, ~100 kB
    monkeypatch.setattr(fast, "PIECE_BYTES", 300)  # a dozen lines
    starts: list = []
    slow = fast.slow_batches

    def recording(*args, **kwargs):
        starts.append(kwargs.get("resume"))
        return slow(*args, **kwargs)

    monkeypatch.setattr(fast, "slow_batches", recording)
    return starts


DEEP = [
    ("not a number", rows(ROWS) + "200000,-1.5,3x.3,25,1,2\n" + rows(10, ROWS + 1)),
    ("too few fields", rows(ROWS) + "200000,-1.5,3.3\n" + rows(10, ROWS + 1)),
    ("time backwards", rows(ROWS) + "5,-1.5,3.3,25,1,2\n"),
    ("volts as millivolts", rows(ROWS) + "200000,-1.5,3300,25,1,2\n"),
    ("cycle not whole", rows(ROWS) + "200000,-1.5,3.3,25,1.5,2\n"),
    ("torn last row", rows(ROWS) + "200000,-1.5,3."),
    ("torn row inside", rows(ROWS) + "200000,-1.5\n" + rows(3, ROWS + 1)),
    ("NUL", rows(ROWS) + "200000,-1.5,3.3,25,1,2\x00\n"),
    ("spanning quote", rows(ROWS) + '200000,-1.5,"3.3,25,1,2\n' + rows(3, ROWS + 1)),
    ("full-width digit", rows(ROWS) + "200000,-1.5,\uff13.3,25,1,2\n" + rows(5000, ROWS + 1)),
    ("line of spaces", rows(ROWS) + "   \n" + rows(5000, ROWS + 1)),
    ("CRLF", rows(ROWS, end="\r\n") + "200000,-1.5,x,25,1,2\r\n"),
    ("CR", rows(ROWS, end="\r") + "200000,-1.5,x,25,1,2\r"),
    ("blank lines", rows(ROWS // 2) + "\n\n\n" + rows(ROWS // 2, ROWS // 2) + "1,-1,x,2,1,1\n"),
]


@pytest.mark.parametrize(("name", "body"), DEEP, ids=[name for name, _ in DEEP])
def test_a_doubt_deep_in_the_file_is_read_again_from_its_chunk(
    name: str, body: str, resumed: list
) -> None:
    data = (HEADER + body).encode()
    expected = outcome(read_canonical_python, data)
    assert_same(outcome(read_canonical, data), expected)
    assert resumed and resumed[0] is not None and resumed[0].rows_read > ROWS // 2, name


def test_a_utf8_error_deep_in_the_file(resumed: list) -> None:
    data = (HEADER + rows(ROWS)).encode() + b"1,-1,3\xff.3,25,1,2\n"
    assert_same(outcome(read_canonical, data), outcome(read_canonical_python, data))


def test_a_byte_order_mark_after_the_header_is_not_dropped_by_the_second_pass(
    resumed: list,
) -> None:
    data = (HEADER + "\ufeff" + rows(ROWS)).encode()
    expected = outcome(read_canonical_python, data)
    assert isinstance(expected, str) and expected.startswith("row 2:")
    assert outcome(read_canonical, data) == expected


@pytest.mark.parametrize("split", range(-3, 4))
def test_a_crlf_split_between_chunks_counts_as_one_line_end(split: int, resumed: list) -> None:
    """Chunk boundaries fall where the reads end; put a "\\r\\n" across one of them."""
    body = rows(ROWS, end="\r\n")
    data = (HEADER + body).encode()
    size = max(fast.CHUNK_BYTES, fast.MAX_LINE_CHARS + 2)
    cut = len(HEADER) + size + split
    # a bad row in the second chunk, after whatever falls at the first boundary
    text = data[: cut + 200].decode() + "\r\n5,-1,x,25,1,1\r\n" + rows(10, ROWS)
    data = text.encode()
    assert_same(outcome(read_canonical, data), outcome(read_canonical_python, data))


def test_randomly_corrupted_multi_chunk_files_agree(resumed: list) -> None:
    rng = random.Random(7)
    clean = (HEADER + rows(ROWS)).encode()
    for _ in range(25):
        data = bytearray(clean)
        for _ in range(rng.randrange(1, 4)):
            where = rng.randrange(len(HEADER), len(data))
            data[where] = rng.choice(b'0123456789.,-\n\r "x\x00\xff')
        data = bytes(data)
        assert_same(outcome(read_canonical, data, 777), outcome(read_canonical_python, data, 777))


def test_a_clean_multi_chunk_file_has_no_second_pass(resumed: list) -> None:
    data = (HEADER + rows(ROWS)).encode()
    result = outcome(read_canonical, data)
    assert isinstance(result, dict) and len(result["columns"]["time_s"]) == ROWS
    assert resumed == []


@pytest.mark.parametrize(
    "odd",
    ["   \n", "\t\n", "100,-1.5,\uff13.3,25,1,2\n", "100,-1.5,3.3,25,1_0,2\n"],
    ids=["spaces", "tab", "full-width digit", "underscore"],
)
def test_after_a_chunk_only_python_reads_the_columnar_path_takes_over_again(
    odd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "CHUNK_BYTES", 1)
    slow = fast.slow_batches
    by_python: list[int] = []

    def counting(*args, **kwargs):
        rows = yield from slow(*args, **kwargs)
        by_python.append(rows[1] - kwargs["resume"].rows_read)
        return rows

    monkeypatch.setattr(fast, "slow_batches", counting)
    data = (HEADER + rows(10) + odd + rows(ROWS, 11)).encode()
    expected = outcome(read_canonical_python, data)
    assert isinstance(expected, dict)
    assert_same(outcome(read_canonical, data), expected)
    # The Python reader reads the piece of a few kB around the odd line, no more.
    assert len(by_python) == 1 and 0 < by_python[0] < 250, by_python


@pytest.mark.parametrize("piece", [1, 64, 4096])
def test_files_with_several_chunks_in_doubt_agree(
    piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "CHUNK_BYTES", 1)
    monkeypatch.setattr(fast, "PIECE_BYTES", piece)
    rng = random.Random(11)
    odd = [
        *("   \n", "\n", "\r\n", "{t},-1.5,\uff13.3,25,1,2\n", "{t},-1.5,3.3,25,1_0,2\n"),
        *("{t},-1.5, 3.3 ,25,1,2\r", "{t},-1.5,x,25,1,2\n", "{t},-1.5,3.3\n", "0,-1,3.3,25,1,2\n"),
    ]
    for _ in range(12):
        lines = rows(ROWS).splitlines(keepends=True)
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(len(lines))
            lines.insert(at, rng.choice(odd).format(t=at * 10))
        data = (HEADER + "".join(lines)).encode()
        assert_same(outcome(read_canonical, data, 999), outcome(read_canonical_python, data, 999))
