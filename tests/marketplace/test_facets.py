"""Counts per facet value on the browse page: each multiple-choice facet counted over what
the other filters leave, SOH bands whatever SOH range is chosen, kept a minute."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from marketplace.facets import lot_facets
from marketplace.filters import LotFilter
from marketplace.selectors import lot_list_browsable
from suppliers.choices import LotStatus
from tests.factories import LotFactory


@pytest.fixture
def market(volta, recell, lfp_telecom_pack, nmc_module):
    def lot(model, route, soh, **summary):
        return LotFactory(
            supplier=volta, pack_model=model, status=LotStatus.VERIFIED,
            summary__route=route, summary__route_provisional=False,
            summary__measured_soh_pct=Decimal(soh),
            **{f"summary__{k}": v for k, v in summary.items()},
        )  # fmt: skip

    lot(lfp_telecom_pack, "reuse-ESS", "92", custody_complete=True)
    lot(lfp_telecom_pack, "reuse-ESS", "86")
    lot(lfp_telecom_pack, "small-application", "45")
    lot(nmc_module, "reuse-ESS", "75", safety_events=2)
    lot(nmc_module, "recycle", "30")
    lot(lfp_telecom_pack, "hold", "80")
    LotFactory(supplier=recell, pack_model=nmc_module, status=LotStatus.DRAFT)


def facets(bianca, rf, **params):
    request = rf.get("/lots/", params)
    request.user = bianca
    lots = LotFilter(request.GET, queryset=lot_list_browsable(), request=request)
    assert lots.is_valid()
    return lot_facets(lots)


def counts(values) -> dict:
    return {value.value: value.count for value in values if value.count}


def test_counts_of_the_second_life_supply(bianca, rf, market):
    found = facets(bianca, rf)
    assert counts(found.chemistry) == {"LFP": 3, "NMC": 1}
    # Each route as ticking it would show it: the recycling and held lots too.
    assert counts(found.route) == {"reuse-ESS": 3, "small-application": 1, "recycle": 1, "hold": 1}
    assert [band.count for band in found.soh_bands] == [1, 1, 1, 0, 1]
    assert [band.share_pct for band in found.soh_bands] == [100, 100, 100, 0, 100]
    assert counts(found.manufacturer) == {"CATL": 3, "Samsung SDI": 1}
    assert (found.no_safety_events, found.custody_complete) == (3, 1)


def test_a_ticked_value_leaves_its_own_facet_counted_whole(bianca, rf, market):
    found = facets(bianca, rf, chemistry="LFP")
    assert counts(found.chemistry) == {"LFP": 3, "NMC": 1}
    assert [value.value for value in found.chemistry if value.selected] == ["LFP"]
    assert counts(found.route) == {"reuse-ESS": 2, "small-application": 1, "hold": 1}
    assert counts(found.manufacturer) == {"CATL": 3}
    assert found.no_safety_events == 3


def test_a_route_ticked_counts_the_chemistries_on_it(bianca, rf, market):
    found = facets(bianca, rf, route=["recycle", "small-application"])
    assert counts(found.chemistry) == {"LFP": 1, "NMC": 1}
    assert counts(found.route)["reuse-ESS"] == 3


def test_soh_bands_ignore_the_soh_range_chosen_but_the_rest_follow_it(bianca, rf, market):
    found = facets(bianca, rf, soh_min="80")
    assert [band.count for band in found.soh_bands] == [1, 1, 1, 0, 1]
    assert counts(found.chemistry) == {"LFP": 2}
    assert found.custody_complete == 1


def test_counts_are_kept_a_minute_per_combination(bianca, rf, market, lfp_telecom_pack, volta):
    assert counts(facets(bianca, rf).chemistry) == {"LFP": 3, "NMC": 1}
    LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.VERIFIED,
        summary__route="reuse-ESS", summary__measured_soh_pct=Decimal("88"),
    )  # fmt: skip
    assert counts(facets(bianca, rf).chemistry) == {"LFP": 3, "NMC": 1}
    assert counts(facets(bianca, rf, soh_min="10").chemistry) == {"LFP": 4, "NMC": 1}
    cache.clear()
    assert counts(facets(bianca, rf).chemistry) == {"LFP": 4, "NMC": 1}


def test_the_page_shows_each_count_and_htmx_gets_the_results_with_new_counts(
    client, bianca, market
):
    client.force_login(bianca)
    text = client.get("/lots/").content.decode()
    assert 'value="LFP"> LFP <span class="count" aria-label="3 lots">(3)</span>' in text
    assert '<option value="CATL">CATL (3)</option>' in text
    assert '<p id="result-count" role="status">4 lots</p>' in text
    fragment = client.get("/lots/", {"chemistry": "NMC"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body
    assert '<div id="lot-results"' in body
    assert '<p id="result-count" role="status">1 lot</p>' in body
    assert 'id="facet-lists" class="facet-lists" hx-swap-oob="true"' in body
    assert 'value="NMC" checked> NMC' in body


def test_htmx_gets_the_reason_a_filter_was_refused(client, bianca, market):
    client.force_login(bianca)
    answer = client.get("/lots/", {"soh_min": "high"}, headers={"HX-Request": "true"})
    body = answer.content.decode()
    # 422: swapped in by htmx (base.html), so the buyer reads why.
    assert answer.status_code == 422 and 'id="filter-errors"' in body and "<html" not in body


def test_a_filter_change_gets_its_results_first_and_uncached_counts_follow(
    client, bianca, market, django_assert_max_num_queries
):
    client.force_login(bianca)
    # No aggregate; the page planned serially is three statements (serial_plans).
    with django_assert_max_num_queries(9) as captured:
        fragment = client.get("/lots/", {"chemistry": "NMC"}, headers={"HX-Request": "true"})
    assert not any("COUNT(" in q["sql"] and "FILTER" in q["sql"] for q in captured)
    body = fragment.content.decode()
    assert '<p id="result-count" role="status">1 lot</p>' in body
    # The choices stay (NMC ticked), without counts, and ask for theirs once shown.
    assert 'hx-get="/lots/facets/?chemistry=NMC" hx-trigger="load" hx-target="this"' in body
    assert 'value="NMC" checked> NMC' in body and 'class="count"' not in body
    counted = client.get("/lots/facets/", {"chemistry": "NMC"}, headers={"HX-Request": "true"})
    text = counted.content.decode()
    assert counted.status_code == 200 and "<html" not in text
    assert 'value="LFP"> LFP <span class="count" aria-label="3 lots">(3)</span>' in text
    assert "hx-get" not in text  # the counts are here: nothing more to ask for
    # Once counted, the next change to the same filters carries them at once.
    again = client.get("/lots/", {"chemistry": "NMC"}, headers={"HX-Request": "true"})
    assert "/lots/facets/" not in again.content.decode()
    assert 'aria-label="3 lots">(3)</span>' in again.content.decode()


def test_the_counts_fragment_refuses_what_the_page_refuses(client, bianca, market):
    client.force_login(bianca)
    answer = client.get("/lots/facets/", {"soh_min": "high"})
    assert answer.status_code == 422
    assert 'class="count"' not in answer.content.decode()
    client.logout()
    assert client.get("/lots/facets/").status_code == 302  # to the sign-in page


def test_an_htmx_change_puts_its_filters_in_the_address(client, bianca, market):
    client.force_login(bianca)
    params = {"q": "", "chemistry": ["LFP", "NMC"], "soh_min": "70", "ordering": ""}
    answer = client.get("/lots/", params, headers={"HX-Request": "true"})
    # Blanks left out: the address a buyer shares opens the same list.
    assert answer["HX-Push-Url"] == "/lots/?chemistry=LFP&chemistry=NMC&soh_min=70"
    refused = client.get("/lots/", {"soh_min": "high"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and refused["HX-Push-Url"] == "/lots/?soh_min=high"
    assert "HX-Push-Url" not in client.get("/lots/", params)  # a whole page has its address
