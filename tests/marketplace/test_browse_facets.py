"""The browse facets beyond chemistry, route and SOH: measured energy and its price, the
weakest pack, voltage, maker and model, quantity, supplier score, history flags, sample
coverage and buyers' words; the page and the API answer the same."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.models import SupplierScorecard
from suppliers.choices import LotStatus
from tests.factories import LotFactory, PackModelFactory


@pytest.fixture
def market(volta, recell, lfp_telecom_pack):
    byd = PackModelFactory(manufacturer="BYD", model="Blade 280", nominal_voltage_v="102.4")
    SupplierScorecard.objects.create(supplier=volta, total=82, computed_at=timezone.now())
    SupplierScorecard.objects.create(supplier=recell, total=55, computed_at=timezone.now())

    def lot(supplier, model, **summary):
        fields = {"route": "reuse-ESS", "route_provisional": False,
                  "measured_soh_pct": Decimal("85"), "lowest_pack_soh_pct": Decimal("80"),
                  **summary}  # fmt: skip
        extra = {k: fields.pop(k) for k in ("quantity", "description") if k in fields}
        return LotFactory(
            supplier=supplier, pack_model=model, status=LotStatus.VERIFIED, **extra,
            **{f"summary__{k}": v for k, v in fields.items()},
        )  # fmt: skip

    return {
        "telecom": lot(
            volta, lfp_telecom_pack, usable_energy_kwh=Decimal("4.300"),
            usable_energy_total_kwh=Decimal("43.000"), price_per_usable_kwh=Decimal("95.00"),
            custody_complete=True, description="48 V telecom backup packs from a tower fleet",
        ),
        "blade": lot(
            recell, byd, quantity=40, usable_energy_kwh=Decimal("24.000"),
            usable_energy_total_kwh=Decimal("960.000"), price_per_usable_kwh=Decimal("120.00"),
            lowest_pack_soh_pct=Decimal("70"), safety_events=1, packs_measured=20,
        ),
        "unmeasured_energy": lot(volta, lfp_telecom_pack),
    }  # fmt: skip


FACETS = [
    ({"energy_min": "10"}, {"blade"}),
    ({"energy_max": "5"}, {"telecom"}),
    ({"total_energy_min": "100"}, {"blade"}),
    ({"price_max": "100"}, {"telecom"}),
    ({"weakest_soh_min": "75"}, {"telecom", "unmeasured_energy"}),
    ({"voltage_min": "100"}, {"blade"}),
    ({"voltage_max": "60"}, {"telecom", "unmeasured_energy"}),
    ({"manufacturer": "byd"}, {"blade"}),
    ({"pack_model": "TB48"}, {"telecom", "unmeasured_energy"}),
    ({"quantity_min": "20"}, {"blade"}),
    ({"score_min": "80"}, {"telecom", "unmeasured_energy"}),
    ({"no_safety_events": "true"}, {"telecom", "unmeasured_energy"}),
    ({"no_safety_events": "false"}, {"telecom", "blade", "unmeasured_energy"}),
    ({"custody_complete": "true"}, {"telecom"}),
    # 3 of 10 packs measured is 30 %; 20 of 40 is 50 %.
    ({"coverage_min": "40"}, {"blade"}),
    ({"coverage_min": "30"}, {"telecom", "blade", "unmeasured_energy"}),
    ({"q": "telecom"}, {"telecom"}),
    ({"q": "blade byd"}, {"blade"}),
    ({"q": "CATL"}, {"telecom", "unmeasured_energy"}),
    ({"q": "tower fleet"}, {"telecom"}),
    ({"q": "nothing-like-this"}, set()),
]


@pytest.mark.parametrize(("params", "expected"), FACETS)
def test_page_and_api_filter_by_each_facet(client, bianca, market, params, expected):
    names = {lot.reference: name for name, lot in market.items()}
    client.force_login(bianca)
    page = client.get("/lots/", params)
    assert page.status_code == 200, page.content.decode()[:500]
    api = APIClient()
    api.force_authenticate(bianca)
    response = api.get("/api/lots/", params)
    assert response.status_code == 200, response.json()
    assert {names[lot.reference] for lot in page.context["page"]} == expected
    assert {names[row["reference"]] for row in response.json()["results"]} == expected


def test_sorted_by_price_per_usable_kwh(bianca, market):
    api = APIClient()
    api.force_authenticate(bianca)
    rows = api.get("/api/lots/", {"ordering": "price", "energy_min": "1"}).json()["results"]
    assert [row["price_per_usable_kwh"] for row in rows] == ["95.00", "120.00"]
    assert rows[0]["usable_energy_kwh"] == "4.300" and rows[0]["custody_complete"] is True


def test_full_text_reads_a_web_search_on_postgresql(require_postgres, bianca, market):
    api = APIClient()
    api.force_authenticate(bianca)
    refs = {lot.reference: name for name, lot in market.items()}

    def found(text):
        rows = api.get("/api/lots/", {"q": text}).json()["results"]
        return {refs[row["reference"]] for row in rows}

    assert found("CATL -telecom") == {"unmeasured_energy"}
    assert found("telecom or blade") == {"telecom", "blade"}
    assert found('"tower fleet"') == {"telecom"}


@pytest.mark.parametrize(
    "params", [{"energy_min": "lots"}, {"price_max": "-"}, {"coverage_min": "x"}]
)
def test_a_bad_facet_value_is_refused_on_the_page_and_in_the_api(client, bianca, market, params):
    client.force_login(bianca)
    page = client.get("/lots/", params)
    assert page.status_code == 400 and 'id="filter-errors"' in page.content.decode()
    api = APIClient()
    api.force_authenticate(bianca)
    assert api.get("/api/lots/", params).status_code == 400
