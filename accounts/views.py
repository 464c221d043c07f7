"""The user's API tokens: listed, made (the secret shown on the answer page, once) and revoked."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import ApplicationError

from .forms import TokenCreateForm
from .selectors import token_list_live, token_organisations
from .services import token_create, token_revoke


def _require_organisation(request: HttpRequest) -> None:
    if not token_organisations(user=request.user).exists():
        raise PermissionDenied("API tokens act for an organisation, and you belong to none.")


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    _require_organisation(request)
    form = TokenCreateForm(user=request.user)
    if request.method == "POST":
        form = TokenCreateForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                created = token_create(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                # Rendered, not redirected to: the secret is in this answer only, never in the
                # session or a URL, and never_cache keeps it out of the browser's cache.
                return render(
                    request,
                    "accounts/token_created.html",
                    {"token": created.token, "secret": created.secret},
                )
    tokens = token_list_live(user=request.user)
    return render(request, "accounts/token_list.html", {"tokens": tokens, "form": form})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(token_list_live(user=request.user), pk=pk)
    token_revoke(user=request.user, token=token)
    messages.success(request, f"Token {token.name!r} revoked: it no longer authenticates.")
    return redirect("token-list")
