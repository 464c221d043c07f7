"""Idempotency keys: a retried API write runs once, and its retry gets the first answer."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.test.client import encode_multipart
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app
from core import idempotency
from core.models import IdempotencyKey
from core.tasks import purge_idempotency_keys
from marketplace.api import views as marketplace_views
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory, capacity_test_upload, personal_token
from verification.models import TestRecord


def lot_body(model, reference: str = "IDEM-1", serial: str = "IDEM-S1") -> dict:
    return {
        "reference": reference,
        "pack_model": model.pk,
        "location": "Leeds, GB",
        "quantity": 1,
        "claimed_soh_pct": "82.5",
        "price_per_kwh": "95.00",
        "packs": [{"serial": serial}],
    }


def post_lot(api, body: dict, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post("/api/lots/", body, format="json", **headers)


@pytest.fixture
def alice_api(api, alice):
    """Alice signed in with a session: the middleware scopes her keys by her user."""
    api.force_login(alice)
    return api


def test_a_retry_gets_the_first_answer_and_makes_no_second_lot(alice_api, lfp_telecom_pack):
    first = post_lot(alice_api, lot_body(lfp_telecom_pack))
    again = post_lot(alice_api, lot_body(lfp_telecom_pack))
    assert first.status_code == again.status_code == 201, first.content
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Lot.objects.filter(reference="IDEM-1").count() == 1
    stored = IdempotencyKey.objects.get()
    assert (stored.method, stored.path, stored.status_code) == ("POST", "/api/lots/", 201)
    assert stored.user.username == "alice"


def test_without_a_key_a_retry_is_a_new_request(alice_api, lfp_telecom_pack):
    assert post_lot(alice_api, lot_body(lfp_telecom_pack), key=None).status_code == 201
    second = post_lot(alice_api, lot_body(lfp_telecom_pack), key=None)
    assert second.status_code == 400
    assert "reference" in second.json()
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_for_another_request_is_a_422(alice_api, lfp_telecom_pack):
    assert post_lot(alice_api, lot_body(lfp_telecom_pack)).status_code == 201
    other = post_lot(alice_api, lot_body(lfp_telecom_pack, reference="IDEM-2", serial="S2"))
    assert other.status_code == 422
    assert "already used for a different request (POST /api/lots/" in other.json()["detail"]
    assert not Lot.objects.filter(reference="IDEM-2").exists()
    elsewhere = alice_api.post(
        "/api/pack-models/", {"manufacturer": "X"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert elsewhere.status_code == 422


def test_keys_belong_to_their_caller(api, alice, rob, lfp_telecom_pack):
    api.force_login(alice)
    assert post_lot(api, lot_body(lfp_telecom_pack, "A-1", "A-S1")).status_code == 201
    other = APIClient()
    other.force_login(rob)
    answer = post_lot(other, lot_body(lfp_telecom_pack, "R-1", "R-S1"))
    assert answer.status_code == 201
    assert "Idempotent-Replayed" not in answer
    assert set(Lot.objects.values_list("reference", flat=True)) == {"A-1", "R-1"}


def test_token_callers_are_scoped_by_their_token_which_is_never_stored(
    api, alice, lfp_telecom_pack
):
    token = personal_token(alice)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert post_lot(api, lot_body(lfp_telecom_pack)).status_code == 201
    assert post_lot(api, lot_body(lfp_telecom_pack))["Idempotent-Replayed"] == "true"
    stored = IdempotencyKey.objects.get()
    assert token not in stored.scope
    assert len(stored.scope) == 64
    assert stored.user == alice


def test_a_refused_credential_is_not_stored(api, lfp_telecom_pack):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert post_lot(api, lot_body(lfp_telecom_pack)).status_code in (401, 403)
    assert not IdempotencyKey.objects.exists()


def test_anonymous_requests_are_refused_as_ever(api, lfp_telecom_pack):
    assert post_lot(api, lot_body(lfp_telecom_pack)).status_code in (401, 403)
    assert not IdempotencyKey.objects.exists()


def test_a_refusal_is_stored_and_replayed(alice_api, lfp_telecom_pack):
    bad = lot_body(lfp_telecom_pack)
    bad["packs"] = []
    first = post_lot(alice_api, bad)
    assert first.status_code == 400
    again = post_lot(alice_api, bad)
    assert (again.status_code, again.content) == (400, first.content)
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", " ", "k" * 256, "a\nb"])
def test_malformed_keys_are_refused(alice_api, lfp_telecom_pack, key):
    answer = post_lot(alice_api, lot_body(lfp_telecom_pack), key=key)
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()["detail"]
    assert not Lot.objects.exists()


def test_a_key_of_255_characters_is_fine(alice_api, lfp_telecom_pack):
    assert post_lot(alice_api, lot_body(lfp_telecom_pack), key="k" * 255).status_code == 201


def test_a_5xx_is_neither_stored_nor_committed(alice_api, lfp_telecom_pack, monkeypatch):
    """The lot was written, then the answer failed: the write goes with it, and the retry
    with the same key runs afresh."""

    def broken(self, lot, **kwargs):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(marketplace_views.LotViewSet, "_detail", broken)
    alice_api.raise_request_exception = False
    assert post_lot(alice_api, lot_body(lfp_telecom_pack)).status_code == 500
    assert not Lot.objects.exists()
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    retry = post_lot(alice_api, lot_body(lfp_telecom_pack))
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert Lot.objects.count() == 1


def test_a_lost_database_mid_request_commits_nothing_and_the_retry_runs(
    alice_api, lfp_telecom_pack, monkeypatch
):
    def lost(self, lot, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(marketplace_views.LotViewSet, "_detail", lost)
    answer = post_lot(alice_api, lot_body(lfp_telecom_pack))
    assert answer.status_code == 503
    assert not Lot.objects.exists()
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    assert post_lot(alice_api, lot_body(lfp_telecom_pack)).status_code == 201
    assert Lot.objects.count() == 1


def test_without_a_key_the_same_fault_leaves_a_lot_behind_a_503(
    alice_api, lfp_telecom_pack, monkeypatch
):
    """Why clients send keys: the lot committed before the answer failed."""

    def lost(self, lot, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(marketplace_views.LotViewSet, "_detail", lost)
    assert post_lot(alice_api, lot_body(lfp_telecom_pack), key=None).status_code == 503
    assert Lot.objects.count() == 1


def test_an_expired_key_is_free_again_and_purged(alice_api, lfp_telecom_pack):
    assert post_lot(alice_api, lot_body(lfp_telecom_pack)).status_code == 201
    day_ago = timezone.now() - idempotency.KEY_LIFETIME - timedelta(seconds=1)
    IdempotencyKey.objects.update(created_at=day_ago)
    other = post_lot(alice_api, lot_body(lfp_telecom_pack, reference="IDEM-2", serial="S2"))
    assert other.status_code == 201
    assert IdempotencyKey.objects.get().path == "/api/lots/"
    IdempotencyKey.objects.update(created_at=day_ago)
    post_lot(alice_api, lot_body(lfp_telecom_pack, reference="IDEM-3", serial="S3"), key="k2")
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k2"]


def upload(api, pack, key: str, *, soh_pct: float, model):
    return api.post(
        f"/api/packs/{pack.pk}/test-records/",
        {"file": capacity_test_upload(soh_pct=soh_pct, pack_model=model)},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_an_upload_retried_with_its_key_is_stored_once(alice_api, volta, lfp_telecom_pack):
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    first = upload(alice_api, pack, "up-1", soh_pct=80, model=lfp_telecom_pack)
    assert first.status_code == 201, first.content
    again = upload(alice_api, pack, "up-1", soh_pct=80, model=lfp_telecom_pack)
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert TestRecord.objects.filter(pack=pack).count() == 1
    other_file = upload(alice_api, pack, "up-1", soh_pct=70, model=lfp_telecom_pack)
    assert other_file.status_code == 422
    assert TestRecord.objects.filter(pack=pack).count() == 1


def multipart_request(boundary: str, data: dict):
    return RequestFactory().post(
        "/api/packs/1/test-records/",
        data=encode_multipart(boundary, data),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_multipart_fingerprint_ignores_the_boundary_and_sees_the_file(lfp_telecom_pack):
    def make(boundary: str, soh_pct: float, **fields):
        data = {"file": capacity_test_upload(soh_pct=soh_pct, pack_model=lfp_telecom_pack)}
        return idempotency.request_fingerprint(multipart_request(boundary, {**data, **fields}))

    assert make("AAA", 80, format="csv") == make("BBB", 80, format="csv")
    assert make("AAA", 80, format="csv") != make("AAA", 70, format="csv")
    assert make("AAA", 80, format="csv") != make("AAA", 80, format="xlsx")


def test_the_file_is_read_again_from_its_start_after_hashing(lfp_telecom_pack):
    upload = capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack)
    content = upload.read()
    upload.seek(0)
    request = multipart_request("B", {"file": upload})
    idempotency.request_fingerprint(request)
    assert request.FILES["file"].read() == content


def test_a_json_fingerprint_covers_method_path_and_body():
    factory = RequestFactory()

    def make(path: str, body: str, method: str = "post"):
        request = getattr(factory, method)(path, data=body, content_type="application/json")
        return idempotency.request_fingerprint(request)

    assert make("/api/lots/", "{}") == make("/api/lots/", "{}")
    assert make("/api/lots/", "{}") != make("/api/lots/", '{"a": 1}')
    assert make("/api/lots/", "{}") != make("/api/lots/?x=1", "{}")
    assert make("/api/lots/", "{}") != make("/api/lots/", "{}", method="put")


def test_a_scope_is_a_keyed_hash_of_the_credential(rf):
    basic = rf.post("/api/lots/", HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0")
    scope = idempotency.caller_scope(basic)
    assert scope and "YWxpY2U6c2VjcmV0" not in scope and len(scope) == 64
    other = rf.post("/api/lots/", HTTP_AUTHORIZATION="Basic Ym9iOnNlY3JldA==")
    assert idempotency.caller_scope(other) != scope
    assert idempotency.caller_scope(rf.post("/api/lots/")) is None


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_request_with_the_same_key_waits_and_replays(
    require_postgres, alice, lfp_telecom_pack, monkeypatch
):
    """The second request arrives while the first is still writing: without the lock it would
    run too (and meet the first's reference); with it, it waits and gets the first's answer."""
    token = personal_token(alice)
    started, create = threading.Event(), marketplace_views.lot_create

    def slow_create(**kwargs):
        started.set()
        lot = create(**kwargs)
        # Holds the transaction open while the second request arrives.
        threading.Event().wait(0.7)
        return lot

    monkeypatch.setattr(marketplace_views, "lot_create", slow_create)
    answers = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            answers.append(post_lot(client, lot_body(lfp_telecom_pack), key="same"))
        finally:
            connection.close()

    first = threading.Thread(target=send)
    first.start()
    assert started.wait(20)
    second = threading.Thread(target=send)
    second.start()
    for thread in (first, second):
        thread.join(60)
    assert [a.status_code for a in answers] == [201, 201], [a.content for a in answers]
    assert answers[0].content == answers[1].content
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert Lot.objects.count() == 1


def test_the_admin_shows_stored_answers_and_never_edits_them(
    client, alice_api, audrey, lfp_telecom_pack
):
    post_lot(alice_api, lot_body(lfp_telecom_pack))
    stored = IdempotencyKey.objects.get()
    client.force_login(audrey)
    listing = client.get("/admin/core/idempotencykey/")
    assert listing.status_code == 200
    assert "/api/lots/" in listing.content.decode()
    page = client.get(f"/admin/core/idempotencykey/{stored.pk}/change/")
    assert page.status_code == 200
    assert stored.scope not in page.content.decode()
    assert client.get("/admin/core/idempotencykey/add/").status_code == 403
    changed = client.post(f"/admin/core/idempotencykey/{stored.pk}/change/", {"status_code": 500})
    assert changed.status_code == 403
    assert IdempotencyKey.objects.get().status_code == 201


def test_the_purge_runs_on_beat(settings):
    """The schedule names the task by the name it is registered under."""
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert entry["task"] in app.tasks


def test_a_token_header_scopes_the_request_over_the_session(rf, alice):
    """DRF tries the token before the session, so the key belongs to the token as well."""
    plain = rf.post("/api/lots/")
    plain.user = alice
    both = rf.post("/api/lots/", HTTP_AUTHORIZATION="Token slm_abc")
    both.user = alice
    token_only = rf.post("/api/lots/", HTTP_AUTHORIZATION="Token slm_abc")
    assert idempotency.caller_scope(both) == idempotency.caller_scope(token_only)
    assert idempotency.caller_scope(both) != idempotency.caller_scope(plain)
