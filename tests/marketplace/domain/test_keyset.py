import pytest

from marketplace.domain.keyset import (
    Cursor,
    CursorError,
    ResultCount,
    SortKey,
    cursor_decode,
    cursor_encode,
    result_count,
    round_significant,
    sort_key,
)

NAMES = {"price", "soh", "created", "quantity"}
PRICE_UP = SortKey("price", descending=False)


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, SortKey("created", True)),
        ("", SortKey("created", True)),
        ("price", SortKey("price", False)),
        ("-soh", SortKey("soh", True)),
        ("quantity,-soh", SortKey("quantity", False)),
        (" -price ", SortKey("price", True)),
    ],
)
def test_the_sort_is_the_first_term_of_the_ordering(ordering, expected):
    assert sort_key(ordering, names=NAMES, default="-created") == expected


def test_an_unknown_sort_is_refused():
    with pytest.raises(CursorError, match="Cannot order by 'colour'"):
        sort_key("-colour", names=NAMES, default="-created")


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(sort="price", value="95.00", pk=7),
        Cursor(sort="price", value=None, pk=1, backwards=True),
        Cursor(sort="price", value="2026-12-04T10:00:00.123456+00:00", pk=2**40),
    ],
)
def test_a_cursor_reads_back_as_it_was_made(cursor):
    text = cursor_encode(cursor)
    assert "=" not in text and "/" not in text and "+" not in text  # safe in a query string
    assert cursor_decode(text, sort=PRICE_UP) == cursor


def test_a_cursor_made_for_another_ordering_is_refused():
    text = cursor_encode(Cursor(sort="-soh", value="80", pk=3))
    with pytest.raises(CursorError, match="ordered by '-soh', not 'price'"):
        cursor_decode(text, sort=PRICE_UP)


@pytest.mark.parametrize(
    "text",
    [
        "not-a-cursor",
        "",
        "!!!",
        cursor_encode(Cursor(sort="price", value="1", pk=1))[:-3],
        # Well-formed base64 of the wrong shapes.
        "WzEsIDIsIDNd",  # [1, 2, 3]
        "eyJhIjogMX0",  # {"a": 1}
        "WyJwcmljZSIsIDEsIDEsIDBd",  # value not text
        "WyJwcmljZSIsICIxIiwgdHJ1ZSwgMF0",  # pk true
        "WyJwcmljZSIsICIxIiwgMSwgNV0",  # direction 5
    ],
)
def test_a_forged_or_torn_cursor_is_refused(text):
    with pytest.raises(CursorError):
        cursor_decode(text, sort=PRICE_UP)


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, 0), (7, 7), (43, 43), (437, 440), (43_217, 43_000), (99_951, 100_000), (-5, 0)],
)
def test_round_significant(number, expected):
    assert round_significant(number, 2) == expected


def test_a_count_is_exact_up_to_the_threshold_and_estimated_past_it():
    assert result_count(counted_up_to=12, threshold=5000, estimate=None) == ResultCount(12, True)
    assert result_count(counted_up_to=5000, threshold=5000, estimate=9) == ResultCount(5000, True)
    past = result_count(counted_up_to=5001, threshold=5000, estimate=43_217)
    assert past == ResultCount(43_217, False) and past.words == "about 43,000"
    # The planner may guess below what was counted: never say fewer than that.
    assert result_count(counted_up_to=5001, threshold=5000, estimate=800).value == 5001
    assert ResultCount(1234, True).words == "1,234"
