"""The public start page and the styled error pages."""

from decimal import Decimal

import pytest
from django.test import Client, override_settings

from suppliers.choices import LotStatus
from tests.factories import LotFactory


@pytest.fixture
def supply(volta, recell, lfp_telecom_pack, nmc_module):
    LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.VERIFIED,
               quantity=10, summary__route="reuse-ESS", summary__route_provisional=False,
               summary__measured_soh_pct=Decimal("86"), summary__usable_energy_kwh=Decimal("4.2"),
               summary__usable_energy_total_kwh=Decimal("42.000"))  # fmt: skip
    LotFactory(supplier=recell, pack_model=lfp_telecom_pack, status=LotStatus.LISTED,
               quantity=4, summary__route="reuse-ESS", summary__route_provisional=False,
               summary__measured_soh_pct=Decimal("81.5"))  # fmt: skip
    LotFactory(supplier=recell, pack_model=nmc_module, status=LotStatus.VERIFIED, quantity=6,
               summary__route="recycle", summary__route_provisional=False,
               summary__measured_soh_pct=Decimal("52"))  # fmt: skip
    # Not verified: never counted.
    LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, quantity=99)
    LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DISCREPANCY,
               quantity=50, summary__route="reuse-ESS")  # fmt: skip


def test_anonymous_visitors_see_what_is_offered_with_verified_figures(
    client, supply, lfp_telecom_pack, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        page = client.get("/")
    assert page.status_code == 200
    text = page.content.decode()
    rated_mwh = (14 * lfp_telecom_pack.nominal_energy_kwh) / 1000
    assert "3 lots, 20 packs (9 measured): 0.04 MWh of usable energy measured" in text
    rows = {(f.chemistry, f.route): f for f in page.context["figures"]}
    assert set(rows) == {("LFP", "reuse-ESS"), ("NMC", "recycle")}
    lfp = rows[("LFP", "reuse-ESS")]
    assert (lfp.lots, lfp.packs, lfp.soh_low_pct, lfp.soh_high_pct) == (2, 14, 81.5, 86.0)
    assert lfp.nominal_mwh == pytest.approx(float(rated_mwh))
    # Only one of the two lots' test data recorded the energy: the table says so.
    assert (lfp.measured_mwh, lfp.lots_energy_measured) == (pytest.approx(0.042), 1)
    assert "0.04 MWh <small>(1 of 2 lots)</small>" in text
    assert rows[("NMC", "recycle")].lots_energy_measured == 0 and "not measured" in text
    assert "Sign in to browse" in text


def test_signed_in_people_go_to_their_start(client, alice, bianca):
    client.force_login(alice)
    assert client.get("/").url == "/supplier/"
    client.force_login(bianca)
    assert client.get("/").url == "/lots/"


def test_a_missing_page_is_styled_and_says_why(client, bianca):
    client.force_login(bianca)
    page = client.get("/lots/999999/")
    assert page.status_code == 404
    text = page.content.decode()
    assert "<h1>Not found</h1>" in text and "Browse verified lots" in text


def test_a_forbidden_page_is_styled_and_names_the_reason(client, bianca, volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.VERIFIED,
                     summary__route="reuse-ESS")  # fmt: skip
    client.force_login(bianca)
    page = client.get(f"/lots/{lot.pk}/audit.csv")
    assert page.status_code == 403
    text = page.content.decode()
    assert "<h1>Not yours to open</h1>" in text
    assert "A lot&#x27;s audit trail is for its supplier and the auditors." in text


@override_settings(DEBUG=False)
def test_a_server_error_is_styled_without_the_database(db, monkeypatch):
    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr("marketplace.views.supply.supply_figures", broken)
    client = Client(raise_request_exception=False)
    page = client.get("/")
    assert page.status_code == 500
    assert "Something broke on our side" in page.content.decode()


def test_the_navigation_offers_each_role_its_pages(client, alice, bianca):
    client.force_login(bianca)
    page = client.get("/lots/").content.decode()
    assert 'href="/searches/">Saved searches</a>' in page and "My lots" not in page
    client.force_login(alice)
    page = client.get("/supplier/").content.decode()
    assert "My lots" in page and "Saved searches</a>" not in page
