"""The tokens page: a user's own tokens, made with the secret shown once, revoked by POST."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import PersonalToken
from audit.models import AuditEntry
from tests.factories import personal_token

URL = "/account/tokens/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def secret_on(page: str) -> str:
    return re.search(r'id="token-secret" type="text" value="(slm_[0-9a-f]+)" readonly', page)[1]


def test_making_a_token_shows_its_secret_once(alice, volta, api):
    client = signed_in(alice)
    answer = client.post(URL, {"name": "ERP sync", "organisation": volta.pk, "lifetime_days": 30})
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    secret = secret_on(answer.content.decode())
    token = PersonalToken.objects.get()
    assert (token.name, token.organisation, token.user) == ("ERP sync", volta, alice)
    assert (token.expiry - timezone.now()).days in (29, 30)
    listing = client.get(URL).content.decode()
    assert "ERP sync" in listing and secret not in listing
    assert token.token_key in listing  # its first characters, to tell tokens apart
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/lots/").status_code == 200


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the token a name"), ("x" * 70, "at most 64 characters")],
)
def test_bad_names_are_named_on_the_form(alice, volta, name, message):
    answer = signed_in(alice).post(
        URL, {"name": name, "organisation": volta.pk, "lifetime_days": 90}
    )
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not PersonalToken.objects.exists()


def test_a_taken_name_is_named_on_the_form(alice, volta):
    personal_token(alice, name="ERP sync")
    answer = signed_in(alice).post(
        URL, {"name": "ERP sync", "organisation": volta.pk, "lifetime_days": 90}
    )
    assert "You already have a token named &#x27;ERP sync&#x27;" in answer.content.decode()
    assert PersonalToken.objects.count() == 1


def test_the_form_offers_only_the_users_organisations(alice, recell):
    client = signed_in(alice)
    page = client.get(URL).content.decode()
    assert "Volta Fleet Services" in page and "ReCell" not in page
    answer = client.post(URL, {"name": "x", "organisation": recell.pk, "lifetime_days": 90})
    assert "Select a valid choice" in answer.content.decode()
    assert not PersonalToken.objects.exists()


def test_a_user_sees_and_revokes_only_their_own_tokens(alice, rob):
    personal_token(alice, name="alice's rig")
    personal_token(rob, name="rob's rig")
    robs = PersonalToken.objects.get(user=rob)
    client = signed_in(alice)
    page = client.get(URL).content.decode()
    assert "alice&#x27;s rig" in page and "rob&#x27;s rig" not in page
    assert client.post(f"{URL}{robs.pk}/revoke/").status_code == 404
    assert PersonalToken.objects.filter(pk=robs.pk).exists()


def test_revoking_is_a_post_that_deletes_and_audits(alice):
    personal_token(alice, name="rig")
    token = PersonalToken.objects.get()
    client = signed_in(alice)
    assert client.get(f"{URL}{token.pk}/revoke/").status_code == 405
    answer = client.post(f"{URL}{token.pk}/revoke/", follow=True)
    assert "Token &#x27;rig&#x27; revoked" in answer.content.decode()
    assert not PersonalToken.objects.exists()
    assert AuditEntry.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()


def test_revoking_needs_the_csrf_token(alice):
    personal_token(alice)
    token = PersonalToken.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"{URL}{token.pk}/revoke/").status_code == 403
    assert PersonalToken.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(db):
    answer = Client().get(URL)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    assert Client().post(f"{URL}1/revoke/").status_code == 302


def test_a_user_without_an_organisation_is_refused(audrey):
    assert signed_in(audrey).get(URL).status_code == 403


def test_the_navigation_links_the_page(alice):
    assert f'href="{URL}"' in signed_in(alice).get("/supplier/lots/").content.decode()


def test_the_tokens_page_has_a_query_cap(alice, volta, django_assert_max_num_queries):
    for n in range(12):
        personal_token(alice, name=f"rig {n}")
    client = signed_in(alice)
    with django_assert_max_num_queries(10):
        page = client.get(URL)
    assert page.content.decode().count("Revoke</button>") == 12
