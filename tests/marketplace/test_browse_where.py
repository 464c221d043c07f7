"""Where the packs are: a country facet with counts, and "within N km of our site"."""

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from core.errors import ApplicationError
from marketplace.services import lot_create
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory

SITES = {
    "berlin": ("Berlin, DE", "DE", 52.52, 13.405),
    "paris": ("Paris, FR", "FR", 48.8566, 2.3522),
    "leeds": ("Leeds, GB", "GB", 53.8008, -1.5491),
    "nowhere": ("Somewhere, DE", "DE", None, None),
}


@pytest.fixture
def market(volta, lfp_telecom_pack):
    return {
        name: LotFactory(
            supplier=volta,
            pack_model=lfp_telecom_pack,
            status=LotStatus.VERIFIED,
            location=location,
            country=country,
            latitude=lat,
            longitude=lon,
            summary__route="reuse-ESS",
        )
        for name, (location, country, lat, lon) in SITES.items()
    }


WHERE = [
    ({"country": "DE"}, {"berlin", "nowhere"}),
    ({"country": ["FR", "GB"]}, {"paris", "leeds"}),
    # Berlin to Paris is 877 km, to Leeds 1,090 km; a lot without a site is never near.
    ({"near": "52.52, 13.405", "within_km": "100"}, {"berlin"}),
    ({"near": "52.52,13.405", "within_km": "900"}, {"berlin", "paris"}),
    ({"near": "52.52,13.405", "within_km": "1100"}, {"berlin", "paris", "leeds"}),
    ({"near": "52.52,13.405", "within_km": "1100", "country": "GB"}, {"leeds"}),
    ({"near": "52.52,13.405"}, {"berlin", "paris", "leeds", "nowhere"}),
]


@pytest.mark.parametrize(("params", "expected"), WHERE)
def test_page_and_api_find_lots_by_where_they_are(client, bianca, market, params, expected):
    names = {lot.reference: name for name, lot in market.items()}
    client.force_login(bianca)
    page = client.get("/lots/", params)
    assert page.status_code == 200
    assert {names[lot.reference] for lot in page.context["page"]} == expected
    api = APIClient()
    api.force_authenticate(bianca)
    rows = api.get("/api/lots/", params).json()["results"]
    assert {names[row["reference"]] for row in rows} == expected


def test_the_page_names_the_countries_with_counts_and_the_distance(client, bianca, market):
    client.force_login(bianca)
    text = client.get("/lots/").content.decode()
    assert 'value="DE"> Germany <span class="count" aria-label="2 lots">(2)</span>' in text
    near = client.get("/lots/", {"near": "52.52,13.405", "within_km": "900"}).content.decode()
    assert "877 km away" in near and "0 km away" in near


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"within_km": "100"}, "near"),
        ({"near": "somewhere", "within_km": "100"}, "near"),
        ({"near": "95, 0", "within_km": "100"}, "near"),
        ({"near": "52, 13", "within_km": "-5"}, "within_km"),
        ({"country": "XX"}, "country"),
    ],
)
def test_a_bad_place_is_refused_with_the_reason(client, bianca, market, params, field):
    client.force_login(bianca)
    page = client.get("/lots/", params)
    assert page.status_code == 400 and 'id="filter-errors"' in page.content.decode()
    api = APIClient()
    api.force_authenticate(bianca)
    answer = api.get("/api/lots/", params)
    assert answer.status_code == 400 and field in answer.json()


def test_a_site_needs_both_coordinates(alice, volta, lfp_telecom_pack):
    with pytest.raises(ApplicationError, match="both the latitude and the longitude") as error:
        lot_create(
            user=alice, supplier=volta, pack_model=lfp_telecom_pack, reference="HALF",
            location="Berlin", latitude=52.5, quantity=1, claimed_soh_pct=80,
            price_per_kwh=90, packs=[{"serial": "H-1"}],
        )  # fmt: skip
    assert error.value.field == "longitude"
    assert not Lot.objects.filter(reference="HALF").exists()


def test_suppliers_give_the_site_through_the_api(api, alice, lfp_telecom_pack):
    api.force_authenticate(alice)
    body = {
        "reference": "SITE-1", "pack_model": lfp_telecom_pack.pk, "location": "Lyon",
        "country": "FR", "latitude": 45.76, "longitude": 4.84, "quantity": 1,
        "claimed_soh_pct": "80", "price_per_kwh": "90", "packs": [{"serial": "L-1"}],
    }  # fmt: skip
    created = api.post("/api/lots/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["country"] == "FR" and created.json()["latitude"] == 45.76
    bad = api.post("/api/lots/", {**body, "reference": "SITE-2", "country": "Gaul"}, format="json")
    assert bad.status_code == 400 and "country" in bad.json()
    half = api.patch(f"/api/lots/{created.json()['id']}/", {"longitude": None}, format="json")
    assert half.status_code == 400


def test_the_upgrade_reads_the_country_from_the_location(volta, lfp_telecom_pack):
    migration = __import__("suppliers.migrations.0008_lot_site", fromlist=["country_from_location"])
    for location in ("Leeds, GB", "Lyon, fr", "Somewhere, XX", "GB"):
        LotFactory(supplier=volta, pack_model=lfp_telecom_pack, location=location, country="")
    migration.country_from_location(apps, None)
    found = dict(Lot.objects.values_list("location", "country"))
    assert found == {"Leeds, GB": "GB", "Lyon, fr": "FR", "Somewhere, XX": "", "GB": ""}
