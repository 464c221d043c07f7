"""Reads: a buyer's saved searches, what a query string says, and which searches a lot matches."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict

from marketplace.filters import LotFilter
from marketplace.selectors import lot_list_browsable
from suppliers.models import Lot, Membership
from suppliers.selectors import BUYER_KINDS

from .models import SavedSearch

User = AbstractBaseUser | AnonymousUser


def saved_search_list(*, user: User) -> QuerySet[SavedSearch]:
    """A person's own saved searches, newest first; nobody sees anyone else's."""
    if not user.is_authenticated:
        return SavedSearch.objects.none()
    return SavedSearch.objects.filter(owner=user)


def search_parameters() -> list[tuple[str, str]]:
    """(query parameter, label) of every parameter `LotFilter` reads, in its order: the
    browse page's and the lot API's parameters, whatever the filterset declares."""
    form = LotFilter(QueryDict(), queryset=Lot.objects.none()).form
    parameters = []
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            parameters.extend(
                (f"{name}{suffix}", f"{field.label} ({suffix.strip('_')})")
                for suffix in widget.widgets_names
            )
        else:
            parameters.append((name, str(field.label or name)))
    return parameters


def search_query_describe(query: str) -> str:
    """A saved query in words, for its default name and the list page."""
    data = QueryDict(query)
    words = [
        f"{label}: {', '.join(data.getlist(name))}"
        for name, label in search_parameters()
        if name in data
    ]
    return "; ".join(words) or "Every verified lot"


def _owned_by_buyers() -> Exists:
    """The owner belongs to a buyer organisation now (a search outlives a membership, its
    notices do not)."""
    return Exists(
        Membership.objects.filter(user_id=OuterRef("owner_id"), organisation__kind__in=BUYER_KINDS)
    )


def saved_searches_matching(*, lot_id: int) -> list[SavedSearch]:
    """The buyers' saved searches that lot `lot_id` matches, as the browse page would show it:
    `LotFilter` over `lot_list_browsable()` restricted to that lot. One query for the searches
    and one per distinct query string (normalised, so equal searches share it)."""
    searches = list(
        SavedSearch.objects.filter(_owned_by_buyers()).select_related("owner").order_by("pk")
    )
    by_query: dict[str, list[SavedSearch]] = {}
    for search in searches:
        by_query.setdefault(search.query, []).append(search)
    the_lot = lot_list_browsable().filter(pk=lot_id)
    matched = []
    for query, group in by_query.items():
        filterset = LotFilter(QueryDict(query), queryset=the_lot)
        # A query the filterset no longer accepts (a choice removed since) matches nothing,
        # rather than matching as if its bad parameter were absent.
        if filterset.is_valid() and filterset.qs.exists():
            matched.extend(group)
    return matched
