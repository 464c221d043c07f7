"""Hostile JSON bodies get a clear 4xx, never a 500."""

import pytest


@pytest.fixture
def client_api(api, alice):
    api.force_authenticate(alice)
    return api


def post(api, body: str):
    return api.generic("POST", "/api/lots/", body, content_type="application/json")


def test_a_body_nested_100000_deep_is_a_400(client_api):
    response = post(client_api, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count(client_api):
    response = post(client_api, '{"reference": "' + "[" * 100 + '"}')
    assert response.status_code == 400  # a validation error about the lot, not the nesting
    assert "nested" not in response.content.decode()
    assert "pack_model" in response.json()


def test_an_oversized_body_is_a_413(client_api, settings):
    settings.API_JSON_MAX_BYTES = 1000
    response = post(client_api, '{"reference": "' + "x" * 2000 + '"}')
    assert response.status_code == 413
    assert "larger than 1,000 bytes" in response.json()["detail"]


@pytest.mark.parametrize("body", ['{"quantity": NaN}', "{not json", '{"a": 1'])
def test_malformed_json_is_a_400(client_api, body):
    response = post(client_api, body)
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
