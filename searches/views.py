"""The buyer's saved searches: saved from the browse page (its small form,
templates/searches/_save_search.html), listed with their email switch, opened and deleted."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from suppliers.selectors import is_buyer

from .selectors import saved_search_list, search_query_describe
from .services import saved_search_create, saved_search_delete, saved_search_set_email


def _browse_url(query: str) -> str:
    url = reverse("lot-browse")
    return f"{url}?{query}" if query else url


@login_required
def saved_search_list_page(request: HttpRequest) -> HttpResponse:
    searches = [
        {"search": search, "described": search_query_describe(search.query),
         "browse_url": _browse_url(search.query)}
        for search in saved_search_list(user=request.user)
    ]  # fmt: skip
    return render(
        request,
        "searches/saved_search_list.html",
        {"searches": searches, "can_save": is_buyer(request.user)},
    )


@login_required
@require_POST
def saved_search_save(request: HttpRequest) -> HttpResponse:
    """The browse page's "Save this search": its current query string, an optional name."""
    query = request.POST.get("query", "")
    try:
        search = saved_search_create(
            user=request.user,
            query=query,
            name=request.POST.get("name", ""),
            email=request.POST.get("email") == "on",
        )
    except ApplicationError as exc:
        messages.error(request, f"Search not saved: {exc.message}")
        # Back to the same filters, re-encoded: only ever a path on this site.
        return redirect(_browse_url(QueryDict(query.strip().lstrip("?")).urlencode()))
    messages.success(
        request, f"Search {search.name!r} saved: you will be told of new lots that match it."
    )
    return redirect("saved-search-list")


@login_required
@require_POST
def saved_search_email(request: HttpRequest, pk: int) -> HttpResponse:
    search = get_object_or_404(saved_search_list(user=request.user), pk=pk)
    on = request.POST.get("email") == "on"
    saved_search_set_email(user=request.user, search=search, email=on)
    messages.success(
        request,
        f"{search.name!r}: notices {'in the app and by email' if on else 'in the app only'}.",
    )
    return redirect("saved-search-list")


@login_required
@require_POST
def saved_search_remove(request: HttpRequest, pk: int) -> HttpResponse:
    search = get_object_or_404(saved_search_list(user=request.user), pk=pk)
    saved_search_delete(user=request.user, search=search)
    messages.success(request, f"Saved search {search.name!r} deleted.")
    return redirect("saved-search-list")


urlpatterns = [
    path("searches/", saved_search_list_page, name="saved-search-list"),
    path("searches/save/", saved_search_save, name="saved-search-save"),
    path("searches/<int:pk>/email/", saved_search_email, name="saved-search-email"),
    path("searches/<int:pk>/delete/", saved_search_remove, name="saved-search-delete"),
]
