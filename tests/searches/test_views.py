"""The saved-search pages: the browse page's "Save this search" form and the buyer's list."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from searches.models import SavedSearch
from searches.services import saved_search_create

pytestmark = pytest.mark.django_db


def test_the_save_form_carries_the_current_filters(bianca):
    request = RequestFactory().get("/lots/", {"chemistry": "LFP", "soh_min": "80"})
    request.user = bianca
    html = Template('{% include "searches/_save_search.html" %}').render(
        Context({"request": request, "csrf_token": "t"})
    )
    assert 'action="/searches/save/"' in html
    assert 'name="query" value="chemistry=LFP&amp;soh_min=80"' in html
    given = Template('{% include "searches/_save_search.html" with query="route=recycle" %}')
    assert 'value="route=recycle"' in given.render(Context({"request": request}))


def test_a_buyer_saves_from_the_browse_page_and_finds_it_listed(client, bianca):
    client.force_login(bianca)
    response = client.post(
        "/searches/save/",
        {"query": "soh_min=80&chemistry=LFP&page=2", "name": "", "email": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/searches/"
    search = SavedSearch.objects.get(owner=bianca)
    assert (search.query, search.email) == ("chemistry=LFP&soh_min=80", True)
    page = response.content.decode()
    assert "saved: you will be told of new lots that match it" in page
    assert 'href="/lots/?chemistry=LFP&amp;soh_min=80"' in page
    assert "Chemistry: LFP; Measured SOH from (%): 80" in page


def test_a_refused_search_goes_back_to_the_browse_page_with_the_reason(client, bianca):
    client.force_login(bianca)
    response = client.post("/searches/save/", {"query": "soh_min=lots&chemistry=LFP"})
    assert response.status_code == 302
    assert response.url == "/lots/?soh_min=lots&chemistry=LFP"
    page = client.get(response.url).content.decode()
    assert "Search not saved: This search cannot be saved: soh_min: Enter a number." in page
    assert not SavedSearch.objects.exists()


def test_a_supplier_is_told_only_buyers_save(client, alice):
    client.force_login(alice)
    response = client.post("/searches/save/", {"query": "chemistry=LFP"}, follow=True)
    assert "Only members of a buyer organisation save searches" in response.content.decode()
    assert not SavedSearch.objects.exists()
    assert "Only members of a buyer organisation" in client.get("/searches/").content.decode()


def test_email_is_switched_and_a_search_deleted_by_its_owner_only(client, bianca, carlos):
    search = saved_search_create(user=bianca, query="chemistry=LFP", name="LFP")
    client.force_login(carlos)
    assert client.post(f"/searches/{search.pk}/email/").status_code == 404
    assert client.post(f"/searches/{search.pk}/delete/").status_code == 404
    assert "LFP" not in client.get("/searches/").content.decode().split("<h1>")[1]
    client.force_login(bianca)
    client.post(f"/searches/{search.pk}/email/")  # the box unticked: off
    assert SavedSearch.objects.get(pk=search.pk).email is False
    client.post(f"/searches/{search.pk}/email/", {"email": "on"})
    assert SavedSearch.objects.get(pk=search.pk).email is True
    assert client.get(f"/searches/{search.pk}/delete/").status_code == 405
    client.post(f"/searches/{search.pk}/delete/")
    assert not SavedSearch.objects.exists()


def test_the_pages_need_a_sign_in(client):
    assert client.get("/searches/").status_code == 302
    assert client.post("/searches/save/", {"query": ""}).status_code == 302
    assert not SavedSearch.objects.exists()


def test_the_list_page_query_count_does_not_grow_with_searches(client, bianca):
    client.force_login(bianca)
    saved_search_create(user=bianca, query="chemistry=LFP")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/searches/").status_code == 200
    SavedSearch.objects.bulk_create(
        SavedSearch(owner=bianca, name=f"s{i}", query=f"soh_min={i}") for i in range(30)
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get("/searches/").content.decode().count("Delete</button>") == 31
    assert len(many) == len(few)
    assert len(many) <= 8
