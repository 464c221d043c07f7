"""A personal token authenticates API calls as `Authorization: Token <secret>` while it lives,
its user is active and still a member of the organisation it acts for."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.authentication import PersonalTokenAuthentication
from accounts.models import PersonalToken
from suppliers.models import Lot, Membership
from tests.factories import MembershipFactory, OrganisationFactory, personal_token


def call(api, secret: str, path: str = "/api/lots/"):
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return api.get(path)


def test_a_token_authenticates_as_its_user(api, alice):
    secret = personal_token(alice)
    answer = call(api, secret, "/api/tokens/")
    assert answer.status_code == 200
    assert [t["name"] for t in answer.json()["results"]] == [PersonalToken.objects.get().name]


@pytest.mark.parametrize(
    "header",
    ["Token slm_0000000000000000000000000000", "Token", "Token a b", "Token \xe9t\xe9"],
)
def test_a_wrong_or_malformed_token_is_401(api, alice, header):
    personal_token(alice)
    api.credentials(HTTP_AUTHORIZATION=header)
    assert api.get("/api/lots/").status_code == 401


def test_a_secret_one_character_off_is_401(api, alice):
    secret = personal_token(alice)
    wrong = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    assert call(api, wrong).status_code == 401


def test_a_revoked_token_is_401(api, alice):
    secret = personal_token(alice)
    assert call(api, secret).status_code == 200
    PersonalToken.objects.get().delete()
    assert call(api, secret).status_code == 401


def test_an_expired_token_is_401_and_says_so(api, alice):
    secret = personal_token(alice)
    PersonalToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    answer = call(api, secret)
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]


def test_a_token_stops_when_its_user_leaves_its_organisation(api, alice, volta):
    secret = personal_token(alice)
    assert call(api, secret).status_code == 200
    Membership.objects.filter(user=alice, organisation=volta).delete()
    answer = call(api, secret)
    assert answer.status_code == 401
    assert "no longer a member" in answer.json()["detail"]


def test_a_token_stops_when_its_user_is_deactivated(api, alice):
    secret = personal_token(alice)
    alice.is_active = False
    alice.save()
    assert call(api, secret).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(api, alice):
    secret = personal_token(alice)
    assert PersonalToken.objects.get().last_used_at is None
    call(api, secret, "/api/tokens/")
    first = PersonalToken.objects.get().last_used_at
    assert first is not None
    call(api, secret, "/api/tokens/")
    assert PersonalToken.objects.get().last_used_at == first
    PersonalToken.objects.update(last_used_at=first - timedelta(minutes=2))
    call(api, secret, "/api/tokens/")
    assert PersonalToken.objects.get().last_used_at > first


def test_authentication_costs_one_query_within_the_minute(alice, django_assert_num_queries):
    secret = personal_token(alice)
    auth = PersonalTokenAuthentication()
    auth.authenticate_credentials(secret.encode())  # writes last_used_at
    with django_assert_num_queries(1):
        user, token = auth.authenticate_credentials(secret.encode())
    assert user == alice and token.organisation.slug == "volta"


def test_a_tokens_lots_belong_to_its_organisation(api, alice, volta, lfp_telecom_pack):
    """Alice belongs to two suppliers; her Volta token lists Volta's lots, without being told,
    and refuses to list one for the other."""
    other = OrganisationFactory(name="Alice Trading", slug="alice-trading")
    MembershipFactory(user=alice, organisation=other)
    api.credentials(HTTP_AUTHORIZATION=f"Token {personal_token(alice, organisation=volta)}")
    body = {
        "reference": "TOK-1",
        "pack_model": lfp_telecom_pack.pk,
        "location": "Leeds",
        "quantity": 1,
        "claimed_soh_pct": "80",
        "price_per_kwh": "90",
        "packs": [{"serial": "TOK-S1"}],
    }
    assert api.post("/api/lots/", body, format="json").status_code == 201
    assert Lot.objects.get().supplier == volta
    refused = api.post(
        "/api/lots/",
        {**body, "reference": "TOK-2", "supplier": other.pk, "packs": [{"serial": "TOK-S2"}]},
        format="json",
    )
    assert refused.status_code == 400
    assert "acts for Volta Fleet Services" in refused.json()["supplier"][0]


@pytest.mark.django_db(transaction=True)
def test_a_request_holding_the_tokens_row_does_not_make_others_wait(require_postgres, alice):
    """An idempotent request's transaction holds the row it noted the use on; a concurrent
    request with the same token skips the note instead of waiting for that transaction."""
    secret = personal_token(alice)
    token = PersonalToken.objects.get()
    done = threading.Event()

    def other_request():
        try:
            PersonalTokenAuthentication().authenticate_credentials(secret.encode())
            done.set()
        finally:
            connection.close()

    with transaction.atomic():
        PersonalTokenAuthentication.note_use(token, timezone.now() - timedelta(minutes=5))
        thread = threading.Thread(target=other_request)
        thread.start()
        assert done.wait(10), "the second request waited for the first one's transaction"
    thread.join(10)
