"""Saving, naming, toggling and deleting searches; queries normalised by the browse filters."""

import pytest

from core.errors import ApplicationError
from searches.models import SavedSearch
from searches.selectors import saved_search_list, search_query_describe
from searches.services import (
    MAX_SAVED_SEARCHES,
    saved_search_create,
    saved_search_delete,
    saved_search_set_email,
    search_query_normalise,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("", ""),
        ("?chemistry=LFP", "chemistry=LFP"),
        # The filterset's order, blanks dropped, values trimmed, the page number left out.
        ("soh_min=80&location=&chemistry=LFP&page=3", "chemistry=LFP&soh_min=80"),
        ("location=+Leeds+&route=reuse-ESS", "route=reuse-ESS&location=Leeds"),
        # One value for a one-value parameter: the one the browse page reads.
        ("soh_min=60&soh_min=70", "soh_min=70"),
        ("ordering=-soh&soh_max=90", "soh_max=90&ordering=-soh"),
    ],
)
def test_a_query_is_saved_in_one_form(given, saved):
    assert search_query_normalise(query=given) == saved


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("soh_min=lots", "soh_min: Enter a number."),
        ("route=landfill", "route: Select a valid choice. landfill is not one of the available"),
        ("chemistry=LFP&colour=red", "Not a search parameter: colour."),
        ("ordering=colour", "ordering: Select a valid choice."),
    ],
)
def test_what_the_browse_filters_refuse_is_refused_with_their_message(query, message):
    with pytest.raises(ApplicationError) as refused:
        search_query_normalise(query=query)
    assert message in refused.value.message
    assert refused.value.field == "query"


def test_a_buyer_saves_a_search_named_after_its_filters_by_default(bianca):
    search = saved_search_create(user=bianca, query="soh_min=80&chemistry=LFP")
    assert (search.query, search.email) == ("chemistry=LFP&soh_min=80", True)
    assert search.name == "Chemistry: LFP; Measured SOH from (%): 80"
    named = saved_search_create(user=bianca, query="route=reuse-ESS", name=" ESS ", email=False)
    assert (named.name, named.email) == ("ESS", False)
    assert search_query_describe("") == "Every verified lot"


def test_a_buyer_of_an_organisation_that_also_supplies_saves_searches(carlos):
    assert saved_search_create(user=carlos, query="chemistry=NMC").owner == carlos


def test_only_buyers_save_searches(alice, audrey):
    for person in (alice, audrey):
        with pytest.raises(ApplicationError, match="Only members of a buyer organisation"):
            saved_search_create(user=person, query="chemistry=LFP")
    assert not SavedSearch.objects.exists()


def test_the_same_search_is_saved_once_per_person(bianca, carlos):
    saved_search_create(user=bianca, query="chemistry=LFP&soh_min=80", name="Good LFP")
    with pytest.raises(ApplicationError, match="You saved this search already, as 'Good LFP'"):
        saved_search_create(user=bianca, query="soh_min=80&chemistry=LFP&page=2")
    saved_search_create(user=carlos, query="chemistry=LFP&soh_min=80")  # his own, not hers
    assert SavedSearch.objects.count() == 2


def test_bad_input_saves_nothing(bianca):
    with pytest.raises(ApplicationError, match="at most 100 characters"):
        saved_search_create(user=bianca, query="chemistry=LFP", name="x" * 101)
    with pytest.raises(ApplicationError, match="soh_max: Enter a number"):
        saved_search_create(user=bianca, query="soh_max=high")
    assert not SavedSearch.objects.exists()


def test_a_person_keeps_a_bounded_number_of_searches(bianca):
    SavedSearch.objects.bulk_create(
        SavedSearch(owner=bianca, name=f"s{i}", query=f"soh_min={i}")
        for i in range(MAX_SAVED_SEARCHES)
    )
    with pytest.raises(ApplicationError, match=f"You have {MAX_SAVED_SEARCHES} saved searches"):
        saved_search_create(user=bianca, query="chemistry=LFP")


def test_only_the_owner_toggles_email_or_deletes(bianca, carlos):
    search = saved_search_create(user=bianca, query="chemistry=LFP")
    for change in (
        lambda: saved_search_set_email(user=carlos, search=search, email=False),
        lambda: saved_search_delete(user=carlos, search=search),
    ):
        with pytest.raises(ApplicationError, match="not your saved search"):
            change()
    assert saved_search_set_email(user=bianca, search=search, email=False).email is False
    assert SavedSearch.objects.get(pk=search.pk).email is False
    assert list(saved_search_list(user=carlos)) == []
    saved_search_delete(user=bianca, search=search)
    assert not SavedSearch.objects.exists()
