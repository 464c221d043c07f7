"""Password guessing is cut off: after the failure limit, even the right password is refused
for that username from that address until the cool-off ends (django-axes)."""

import base64

from django.test import Client

from tests.factories import PASSWORD


def web_login(client: Client, password: str):
    return client.post("/accounts/login/", {"username": "alice", "password": password})


def test_the_login_form_locks_after_five_wrong_passwords(alice, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert web_login(client, "wrong").status_code == 200  # the form again, with its error
    assert web_login(client, "wrong").status_code == 429
    locked = web_login(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(alice, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        web_login(client, "wrong")
    assert web_login(client, PASSWORD).status_code == 302
    client.logout()
    assert web_login(client, "wrong").status_code == 200  # counting starts again


def basic(password: str) -> dict:
    token = base64.b64encode(f"alice:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_api_basic_auth_locks_too(alice, settings):
    client = Client()
    assert client.get("/api/lots/", **basic(PASSWORD)).status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert client.get("/api/lots/", **basic("wrong")).status_code in (401, 403, 429)
    assert client.get("/api/lots/", **basic(PASSWORD)).status_code in (401, 403, 429)


def test_another_account_is_not_locked_by_alices_failures(alice, bianca, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(client, "wrong")
    response = client.post("/accounts/login/", {"username": "bianca", "password": PASSWORD})
    assert response.status_code == 302
