"""/api/saved-searches/: a buyer's own searches, listed, saved, switched and deleted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from searches.models import SavedSearch
from searches.services import saved_search_create

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_buyer_saves_a_search_and_lists_it(bianca):
    api = api_for(bianca)
    created = api.post(
        "/api/saved-searches/",
        {"query": "soh_min=80&chemistry=LFP", "name": "Good LFP", "email": False},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["query"] == "chemistry=LFP&soh_min=80"
    assert (body["name"], body["email"]) == ("Good LFP", False)
    assert body["browse_url"] == "/lots/?chemistry=LFP&soh_min=80"
    assert body["api_url"] == "/api/lots/?chemistry=LFP&soh_min=80"
    listed = api.get("/api/saved-searches/").json()
    assert [s["id"] for s in listed["results"]] == [body["id"]]
    # The saved query is what the lot list itself accepts.
    assert api.get(body["api_url"]).status_code == 200


def test_a_bad_query_is_a_400_with_the_filters_message(bianca):
    api = api_for(bianca)
    for query, message in [
        ("soh_min=lots", "soh_min: Enter a number."),
        ("route=landfill", "landfill is not one of the available choices"),
        ("colour=red", "Not a search parameter: colour."),
    ]:
        response = api.post("/api/saved-searches/", {"query": query}, format="json")
        assert response.status_code == 400
        assert message in response.json()["query"][0]
    assert api.post("/api/saved-searches/", {}, format="json").status_code == 400
    assert not SavedSearch.objects.exists()


def test_saving_the_same_search_twice_is_refused(bianca):
    api = api_for(bianca)
    assert api.post("/api/saved-searches/", {"query": "chemistry=LFP"}).status_code == 201
    again = api.post("/api/saved-searches/", {"query": "?chemistry=LFP&page=4"})
    assert again.status_code == 400
    assert "You saved this search already" in again.json()["query"][0]


def test_only_buyers_save(alice, audrey):
    for person in (alice, audrey):
        response = api_for(person).post("/api/saved-searches/", {"query": ""}, format="json")
        assert response.status_code == 403
        assert "buyer organisation" in response.json()["detail"]
    assert APIClient().get("/api/saved-searches/").status_code in (401, 403)


def test_one_person_never_sees_or_changes_anothers_search(bianca, carlos):
    hers = saved_search_create(user=bianca, query="chemistry=LFP")
    api = api_for(carlos)
    assert api.get("/api/saved-searches/").json()["results"] == []
    assert api.get(f"/api/saved-searches/{hers.pk}/").status_code == 404
    assert api.patch(f"/api/saved-searches/{hers.pk}/", {"email": False}).status_code == 404
    assert api.delete(f"/api/saved-searches/{hers.pk}/").status_code == 404
    assert SavedSearch.objects.get(pk=hers.pk).email is True


def test_the_owner_switches_email_and_deletes(bianca):
    search = saved_search_create(user=bianca, query="chemistry=LFP")
    api = api_for(bianca)
    switched = api.patch(f"/api/saved-searches/{search.pk}/", {"email": False}, format="json")
    assert switched.status_code == 200 and switched.json()["email"] is False
    assert api.patch(f"/api/saved-searches/{search.pk}/", {}, format="json").status_code == 400
    assert api.delete(f"/api/saved-searches/{search.pk}/").status_code == 204
    assert not SavedSearch.objects.exists()


def test_the_list_query_count_does_not_grow_with_searches(bianca):
    api = api_for(bianca)
    saved_search_create(user=bianca, query="chemistry=LFP")
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/saved-searches/").status_code == 200
    SavedSearch.objects.bulk_create(
        SavedSearch(owner=bianca, name=f"s{i}", query=f"soh_min={i}") for i in range(30)
    )
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/saved-searches/").json()["results"]) == 31
    assert len(many) == len(few)
    assert len(many) <= 4
