"""Buyers' words on PostgreSQL: a search is checked against the routes on the summaries first
when its words are rare, and lists exactly what the plain search lists: second-life supply by
default, the recyclers' lots in their view, a supplier's own lots in any route."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from marketplace import search
from suppliers.choices import LotStatus
from tests.factories import LotFactory, PackModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def computed_each_time(settings):
    """Each list computed: the buyers' shared list cache would answer a repeat from memory."""
    settings.LISTING_CACHE_SECONDS = 0


@pytest.fixture
def lots(require_postgres, volta, recell, lfp_telecom_pack):
    tesla = PackModelFactory(manufacturer="Tesla", model="Model S 85", chemistry="NCA")

    def lot(supplier, model, route, reference):
        return LotFactory(
            supplier=supplier, pack_model=model, status=LotStatus.VERIFIED, reference=reference,
            summary__route=route, summary__route_provisional=False,
            summary__measured_soh_pct=Decimal("50" if route == "recycle" else "85"),
        )  # fmt: skip

    return {
        "tesla-recycle": lot(recell, tesla, "recycle", "TS-RECYCLE"),
        "tesla-volta-recycle": lot(volta, tesla, "recycle", "TS-VOLTA"),
        "tesla-ess": lot(recell, tesla, "reuse-ESS", "TS-ESS"),
        "lfp": lot(volta, lfp_telecom_pack, "reuse-ESS", "LFP-ESS"),
    }


def found(user, **params) -> set[str]:
    api = APIClient()
    api.force_authenticate(user)
    response = api.get("/api/lots/", params)
    assert response.status_code == 200, response.json()
    return {row["reference"] for row in response.json()["results"]}


CASES = [
    ("bianca", {"q": "Tesla"}, {"TS-ESS"}),
    ("bianca", {"q": "Tesla", "route": "recycle"}, {"TS-RECYCLE", "TS-VOLTA"}),
    ("bianca", {"q": "Tesla -Model"}, set()),
    ("bianca", {"q": "Tesla", "route": "small-application"}, set()),
    # Alice supplies for Volta: her own recycling lot is in her list.
    ("alice", {"q": "Tesla"}, {"TS-ESS", "TS-VOLTA"}),
]


@pytest.mark.parametrize(("who", "params", "expected"), CASES)
def test_a_search_lists_what_the_plain_search_lists(
    request, lots, monkeypatch, who, params, expected
):
    user = request.getfixturevalue(who)
    with CaptureQueriesContext(connection) as captured:
        narrowed = found(user, **params)
    # The rare words were checked on the summaries alone first.
    assert any(
        q["sql"].startswith('SELECT "marketplace_lotsummary"."lot_id"')
        for q in captured.captured_queries
    )
    monkeypatch.setattr(search, "PREFILTER_UP_TO", -1)  # the plain walk
    assert narrowed == found(user, **params) == expected


def test_many_matches_are_left_to_the_walk(lots, bianca, monkeypatch):
    monkeypatch.setattr(search, "LISTED_BY_ID_UP_TO", 0)
    with CaptureQueriesContext(connection) as captured:
        assert found(bianca, q="Tesla") == {"TS-ESS"}
    page = [
        q["sql"] for q in captured.captured_queries if '"suppliers_lot"."reference"' in q["sql"]
    ]
    assert page and not any('"suppliers_lot"."id" IN (' in sql for sql in page)
    # The same with the ids listed: the check above can tell the two apart.
    monkeypatch.setattr(search, "LISTED_BY_ID_UP_TO", 500)
    with CaptureQueriesContext(connection) as captured:
        assert found(bianca, q="Tesla") == {"TS-ESS"}
    assert any('"suppliers_lot"."id" IN (' in q["sql"] for q in captured.captured_queries)
