import html
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory, PackModelFactory


@pytest.fixture
def market(volta, recell, lfp_telecom_pack, nmc_module):
    """Verified lots across routes, plus lots buyers must not see."""
    return {
        "lfp_ess": LotFactory(
            supplier=volta,
            pack_model=lfp_telecom_pack,
            status=LotStatus.VERIFIED,
            summary__route="reuse-ESS",
            summary__route_provisional=False,
            summary__measured_soh_pct=Decimal("86"),
        ),
        "lfp_small": LotFactory(
            supplier=recell,
            pack_model=lfp_telecom_pack,
            status=LotStatus.VERIFIED,
            summary__route="small-application",
            summary__route_provisional=False,
            summary__measured_soh_pct=Decimal("45"),
        ),
        "nmc_recycle": LotFactory(
            supplier=recell,
            pack_model=nmc_module,
            status=LotStatus.VERIFIED,
            summary__route="recycle",
            summary__route_provisional=False,
            summary__measured_soh_pct=Decimal("72"),
        ),
        "draft": LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT),
        "discrepancy": LotFactory(
            supplier=recell,
            pack_model=lfp_telecom_pack,
            status=LotStatus.DISCREPANCY,
            summary__route="reuse-ESS",
            summary__measured_soh_pct=Decimal("70"),
        ),
        "submitted": LotFactory(
            supplier=recell, pack_model=lfp_telecom_pack, status=LotStatus.SUBMITTED
        ),
    }


FILTERS = [
    # Second-life supply unless a route is asked for; recycling lots have their own view.
    ({}, {"lfp_ess", "lfp_small"}),
    ({"route": "recycle"}, {"nmc_recycle"}),
    ({"route": ["reuse-ESS", "recycle"]}, {"lfp_ess", "nmc_recycle"}),
    ({"chemistry": "LFP"}, {"lfp_ess", "lfp_small"}),
    ({"chemistry": "NMC"}, set()),
    ({"chemistry": "NMC", "route": "recycle"}, {"nmc_recycle"}),
    ({"route": "reuse-ESS"}, {"lfp_ess"}),
    ({"route": "small-application"}, {"lfp_small"}),
    ({"soh_min": "60"}, {"lfp_ess"}),
    ({"soh_min": "40", "soh_max": "75"}, {"lfp_small"}),
    ({"soh_min": "40", "soh_max": "75", "route": "recycle"}, {"nmc_recycle"}),
    ({"chemistry": "LFP", "soh_min": "80"}, {"lfp_ess"}),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_page_and_api_filter_the_same_way(client, bianca, market, params, expected):
    by_reference = {lot.reference: name for name, lot in market.items()}
    client.force_login(bianca)
    page = client.get("/lots/", params)
    assert page.status_code == 200
    on_page = {by_reference[lot.reference] for lot in page.context["page"]}
    api = APIClient()
    api.force_authenticate(bianca)
    body = api.get("/api/lots/", params).json()
    in_api = {by_reference[lot["reference"]] for lot in body["results"]}
    assert on_page == expected
    assert in_api == expected


def test_bad_filter_values_are_400_in_the_api(bianca, market):
    api = APIClient()
    api.force_authenticate(bianca)
    assert api.get("/api/lots/", {"soh_min": "lots"}).status_code == 400
    assert api.get("/api/lots/", {"route": "landfill"}).status_code == 400


@pytest.mark.parametrize(
    ("params", "message"),
    [({"soh_min": "lots"}, "Enter a number."),
     ({"route": "landfill"}, "landfill is not one of the available choices."),
     ({"ordering": "colour"}, "Select a valid choice.")],
)  # fmt: skip
def test_the_page_names_a_bad_filter_as_the_api_refuses_it(client, bianca, market, params, message):
    client.force_login(bianca)
    page = client.get("/lots/", params)
    assert page.status_code == 400
    text = page.content.decode()
    assert 'id="filter-errors"' in text and message in text
    assert market["lfp_ess"].reference not in text
    api = APIClient()
    api.force_authenticate(bianca)
    assert api.get("/api/lots/", params).status_code == 400


def test_the_page_counts_its_lots_and_labels_its_sorting(client, bianca, market):
    client.force_login(bianca)
    text = client.get("/lots/").content.decode()
    assert '<p id="result-count" role="status">2 lots</p>' in text
    assert "Measured SOH (descending)" in text and "Soh" not in text
    recycling = client.get("/lots/", {"route": "recycle"}).content.decode()
    assert "Verified supply for recycling" in recycling and "1 lot<" in recycling


def _link(text: str, rel: str) -> str:
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', text)
    return html.unescape(found.group(1)) if found else ""


def test_pages_keep_the_filters_and_follow_by_cursor(client, bianca, volta, lfp_telecom_pack):
    # Every lot ties on the sort value: the pages still split them by id, none twice.
    LotFactory.create_batch(
        27, supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.VERIFIED,
        summary__route="reuse-ESS", summary__measured_soh_pct=Decimal("80"),
    )  # fmt: skip
    client.force_login(bianca)
    first = client.get("/lots/", {"chemistry": "LFP", "ordering": "-soh"})
    text = first.content.decode()
    assert '<p id="result-count" role="status">27 lots</p>' in text
    assert _link(text, "prev") == ""
    following = _link(text, "next")
    assert following.startswith("chemistry=LFP&ordering=-soh&cursor=")
    second = client.get(f"/lots/?{following}")
    assert len(second.context["page"]) == 2
    assert not _link(second.content.decode(), "next")
    seen = [lot.pk for lot in first.context["page"]] + [lot.pk for lot in second.context["page"]]
    assert sorted(seen) == sorted(Lot.objects.values_list("pk", flat=True))
    back = client.get(f"/lots/?{_link(second.content.decode(), 'prev')}")
    assert [lot.pk for lot in back.context["page"]] == [lot.pk for lot in first.context["page"]]


def test_a_cursor_of_another_ordering_is_refused_on_the_page(client, bianca, market):
    client.force_login(bianca)
    LotFactory.create_batch(
        30, supplier=market["lfp_ess"].supplier, pack_model=market["lfp_ess"].pack_model,
        status=LotStatus.VERIFIED, summary__route="reuse-ESS",
    )  # fmt: skip
    cursor = _link(client.get("/lots/", {"ordering": "price"}).content.decode(), "next")
    answer = client.get(f"/lots/?{cursor.replace('ordering=price', 'ordering=-soh')}")
    assert answer.status_code == 400
    assert "This cursor pages the list ordered by 'price'" in html.unescape(answer.content.decode())
    assert client.get("/lots/", {"cursor": "not-a-cursor"}).status_code == 400


def test_buyer_cannot_open_unverified_lots(client, bianca, market):
    client.force_login(bianca)
    assert client.get(market["lfp_ess"].get_absolute_url()).status_code == 200
    for name in ("draft", "discrepancy", "submitted"):
        assert client.get(market[name].get_absolute_url()).status_code == 404


def test_browse_query_count_does_not_grow_with_lots(client, bianca, volta):
    client.force_login(bianca)
    pack_model = PackModelFactory()
    LotFactory.create_batch(3, supplier=volta, pack_model=pack_model, status=LotStatus.VERIFIED)
    with CaptureQueriesContext(connection) as few:
        client.get("/lots/")
    LotFactory.create_batch(20, supplier=volta, pack_model=pack_model, status=LotStatus.VERIFIED)
    cache.clear()  # the facet counts computed again, as on a first visit
    with CaptureQueriesContext(connection) as many:
        client.get("/lots/")
    assert len(many) == len(few)
    # Six reads, four facet counts, and the page's serial plan (BEGIN, SET LOCAL, COMMIT:
    # marketplace.pagination.serial_plans).
    assert len(many) <= 13
    # Within the minute the counts are kept, the same filters read the lots alone.
    with CaptureQueriesContext(connection) as warm:
        client.get("/lots/")
    assert len(warm) == len(many) - 4  # the four facet queries


def test_api_list_query_count_is_capped(bianca, volta):
    api = APIClient()
    api.force_authenticate(bianca)
    LotFactory.create_batch(25, supplier=volta, status=LotStatus.VERIFIED)
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/lots/").status_code == 200
    assert len(queries) <= 8


def test_buyers_can_save_the_search_they_see(client, bianca, alice, market):
    client.force_login(bianca)
    text = client.get("/lots/", {"chemistry": "LFP"}).content.decode()
    assert 'name="query" value="chemistry=LFP"' in text
    client.force_login(alice)  # a supplier, not a buyer
    assert "Save this search" not in client.get("/lots/").content.decode()
