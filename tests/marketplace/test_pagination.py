"""Keyset pages of the lot list: every lot once, in order, forwards and back, whatever the
sort (ties and lots without a value included); the API's cursor, count and page size."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.domain.keyset import SortKey
from marketplace.pagination import SORTS, keyset_page, lot_count, serial_plans
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory


@pytest.fixture
def lots(volta, lfp_telecom_pack):
    # Prices with ties and gaps (None: no measured energy), quantities with ties.
    prices = [Decimal(p) if p else None for p in ("90", "", "90", "120", "", "75", "90")]
    return [
        LotFactory(
            supplier=volta,
            pack_model=lfp_telecom_pack,
            status=LotStatus.VERIFIED,
            quantity=10 + i % 3,
            summary__route="reuse-ESS",
            summary__price_per_usable_kwh=price,
            summary__measured_soh_pct=Decimal(80 + i % 2),
        )
        for i, price in enumerate(prices * 2)
    ]


def _expected(field: str, descending: bool) -> list[int]:
    """The order by sorting in Python: values first (ties by id, in the sort's direction),
    then the lots without one."""
    rows = list(Lot.objects.values_list("pk", field))
    valued = sorted((r for r in rows if r[1] is not None), key=lambda r: (r[1], r[0]))
    empty = sorted((r for r in rows if r[1] is None), key=lambda r: r[0])
    if descending:
        valued.reverse()
        empty.reverse()
    return [pk for pk, _ in valued + empty]


@pytest.mark.parametrize("name", sorted(SORTS))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [1, 3, 5, 14, 20])
def test_pages_walk_every_lot_once_in_order_both_ways(lots, name, descending, size):
    sort = SortKey(name, descending)
    queryset = Lot.objects.all()
    pages, cursor = [], None
    while True:
        page = keyset_page(queryset, sort=sort, cursor_text=cursor, size=size)
        pages.append(page)
        assert len(page) <= size
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    walked = [lot.pk for page in pages for lot in page]
    assert walked == _expected(SORTS[name][0], descending)
    assert pages[0].previous_cursor is None
    # And back from the last page to the first, page by page.
    back, cursor = [], pages[-1].previous_cursor
    while cursor:
        page = keyset_page(queryset, sort=sort, cursor_text=cursor, size=size)
        back.insert(0, [lot.pk for lot in page])
        cursor = page.previous_cursor
    assert back == [[lot.pk for lot in page] for page in pages[:-1]]


def test_a_count_stops_reading_at_the_threshold(lots):
    queryset = Lot.objects.all()
    assert lot_count(queryset).value == len(lots) and lot_count(queryset).exact
    past = lot_count(queryset, threshold=4)
    if connection.vendor == "postgresql":
        assert not past.exact and past.value >= 5  # the planner's estimate, floored
    else:
        assert past.exact and past.value == len(lots)


def test_the_api_pages_by_cursor_with_a_count(api, bianca, lots):
    api.force_authenticate(bianca)
    first = api.get("/api/lots/", {"ordering": "price", "page_size": 5}).json()
    assert first["count"] == len(lots) and first["count_exact"] is True
    assert first["previous"] is None and len(first["results"]) == 5
    seen = [row["id"] for row in first["results"]]
    following = first["next"]
    while following:
        body = api.get(following).json()
        seen += [row["id"] for row in body["results"]]
        following = body["next"]
    assert seen == _expected("summary__price_per_usable_kwh", False)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "2"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"ordering": "colour"}, "ordering"),
    ],
)
def test_the_api_refuses_bad_paging(api, bianca, lots, params, field):
    api.force_authenticate(bianca)
    answer = api.get("/api/lots/", params)
    assert answer.status_code == 400
    assert field in answer.json()


def test_the_api_list_reads_the_same_queries_for_any_page_size(api, bianca, lots):
    api.force_authenticate(bianca)
    counts = []
    for size in (2, 14):
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/lots/", {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[0] <= 10


def _parallel_workers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_page_is_planned_without_parallel_workers_and_only_it(require_postgres):
    before = _parallel_workers()
    assert before != "0"  # PostgreSQL's default is 2: else this test shows nothing
    with serial_plans():
        assert _parallel_workers() == "0"
    assert _parallel_workers() == before  # SET LOCAL: the connection keeps its own setting


@pytest.mark.parametrize("path", ["/api/lots/", "/lots/"])
def test_the_list_reads_its_page_and_count_serially(require_postgres, client, bianca, lots, path):
    client.force_login(bianca)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    sql = [query["sql"] for query in queries]
    serial = next(i for i, text in enumerate(sql) if "max_parallel_workers_per_gather" in text)
    page = next(i for i, text in enumerate(sql) if "LIMIT 51" in text or "LIMIT 26" in text)
    assert serial < page
