"""`/api/tokens/`: the signed-in user's own tokens. A session or a password makes one; a token
lists and revokes, but makes none."""

import base64

import pytest

from accounts.models import PersonalToken
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, personal_token

URL = "/api/tokens/"


def basic(user) -> dict:
    pair = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {pair}"}


def test_a_session_makes_a_token_and_gets_its_secret_once(api, alice, volta):
    api.force_login(alice)
    answer = api.post(URL, {"name": "ERP sync", "lifetime_days": 30}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secret"].startswith("slm_")
    assert (body["name"], body["organisation"], body["organisation_name"]) == (
        "ERP sync",
        volta.pk,
        "Volta Fleet Services",
    )
    assert body["starts_with"] == body["secret"][:15]
    listed = api.get(URL).json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "secret" not in listed[0] and "digest" not in listed[0]


def test_a_password_makes_a_first_token(api, alice):
    answer = api.post(URL, {"name": "bootstrap"}, format="json", **basic(alice))
    assert answer.status_code == 201, answer.content
    api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['secret']}")
    assert api.get(URL).status_code == 200


def test_a_token_cannot_make_tokens(api, alice):
    api.credentials(HTTP_AUTHORIZATION=f"Token {personal_token(alice)}")
    answer = api.post(URL, {"name": "successor"}, format="json")
    assert answer.status_code == 403
    assert "cannot make tokens" in answer.json()["detail"]
    assert PersonalToken.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Give the token a name"),
        ({"name": "  "}, "Give the token a name"),
        ({"name": "y" * 65}, "at most 64 characters"),
    ],
)
def test_names_are_required_with_a_clear_error(api, alice, body, message):
    api.force_login(alice)
    answer = api.post(URL, body, format="json")
    assert answer.status_code == 400
    assert message in answer.json()["name"][0]


def test_a_taken_name_is_a_400_on_the_name(api, alice):
    personal_token(alice, name="rig")
    api.force_login(alice)
    answer = api.post(URL, {"name": "RIG"}, format="json")
    assert answer.status_code == 400
    assert "already have a token named 'RIG'" in answer.json()["name"][0]


def test_the_organisation_must_be_named_when_the_user_has_several(api, alice, recell):
    MembershipFactory(user=alice, organisation=OrganisationFactory(slug="second"))
    api.force_login(alice)
    answer = api.post(URL, {"name": "x"}, format="json")
    assert answer.status_code == 400
    assert "Name the organisation" in answer.json()["organisation"][0]
    foreign = api.post(URL, {"name": "x", "organisation": recell.pk}, format="json")
    assert foreign.status_code == 400
    assert "not a member of organisation" in foreign.json()["organisation"][0]
    missing = api.post(URL, {"name": "x", "organisation": 987654}, format="json")
    assert missing.json()["organisation"][0].replace("987654", "N") == foreign.json()[
        "organisation"
    ][0].replace(str(recell.pk), "N")
    assert not PersonalToken.objects.exists()


def test_a_lifetime_outside_the_choices_is_refused(api, alice):
    api.force_login(alice)
    answer = api.post(URL, {"name": "x", "lifetime_days": 10000}, format="json")
    assert answer.status_code == 400 and "lifetime_days" in answer.json()


def test_one_user_cannot_list_or_revoke_anothers_tokens(api, alice, rob):
    personal_token(rob, name="rob's rig")
    robs = PersonalToken.objects.get()
    api.force_login(alice)
    assert api.get(URL).json()["results"] == []
    assert api.delete(f"{URL}{robs.pk}/").status_code == 404
    assert PersonalToken.objects.filter(pk=robs.pk).exists()


def test_a_token_revokes_itself_and_then_stops(api, alice):
    secret = personal_token(alice)
    token = PersonalToken.objects.get()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.delete(f"{URL}{token.pk}/").status_code == 204
    assert not PersonalToken.objects.exists()
    assert api.get(URL).status_code == 401


def test_anonymous_callers_are_refused(api, alice):
    personal_token(alice)
    token = PersonalToken.objects.get()
    assert api.get(URL).status_code == 401
    assert api.post(URL, {"name": "x"}, format="json").status_code == 401
    assert api.delete(f"{URL}{token.pk}/").status_code == 401
    assert PersonalToken.objects.count() == 1


def test_the_list_has_a_query_cap(api, alice, django_assert_max_num_queries):
    for n in range(12):
        personal_token(alice, name=f"rig {n}")
    api.force_login(alice)
    with django_assert_max_num_queries(6):
        answer = api.get(URL)
    assert answer.json()["count"] == 12


def test_the_schema_documents_the_token_scheme(api, alice):
    api.force_login(alice)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    scheme = schema["components"]["securitySchemes"]["personalToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert "Token slm_" in scheme["description"]
    assert {"personalToken": []} in schema["paths"]["/api/lots/"]["get"]["security"]
    assert set(schema["paths"]["/api/tokens/{id}/"]) >= {"delete"}
