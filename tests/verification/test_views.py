import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.models import TestRecord


@pytest.fixture
def pack(volta, lfp_telecom_pack):
    return PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack), serial="P-9")


@pytest.mark.django_db(transaction=True)
def test_upload_form_verifies_and_redirects(client, alice, pack, lfp_telecom_pack):
    """Committed for real: the eager worker has run by the time the notice is written."""
    client.force_login(alice)
    response = client.post(
        f"/lots/{pack.lot_id}/test-data/",
        {
            "pack": pack.pk,
            "data_format": "canonical_csv",
            "test_level": "pack",
            "file": capacity_test_upload(soh_pct=86, pack_model=lfp_telecom_pack),
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b"Claim confirmed" in page.content
    notices = [(m.level_tag, m.message) for m in page.context["messages"]]
    assert notices == [("info", "capacity-test.csv read for pack P-9: Claim confirmed.")]


@pytest.mark.django_db(transaction=True)
def test_a_failed_upload_notice_is_an_error_with_the_reason(client, alice, pack):
    client.force_login(alice)
    junk = SimpleUploadedFile("junk.csv", b"time_s,current_a,voltage_v,cycle,step\n1,2,abc,1,1\n")
    response = client.post(
        f"/lots/{pack.lot_id}/test-data/",
        {"pack": pack.pk, "data_format": "auto", "test_level": "pack", "file": junk},
        follow=True,
    )
    notices = [(m.level_tag, m.message) for m in response.context["messages"]]
    assert len(notices) == 1 and notices[0][0] == "error"
    assert "junk.csv for pack P-9 could not be read" in notices[0][1]
    assert "voltage_v is not a number" in notices[0][1]
    assert b"Not read: nothing proven" in response.content


def test_upload_without_a_file_is_400_with_the_form_error(client, alice, pack):
    client.force_login(alice)
    response = client.post(f"/lots/{pack.lot_id}/test-data/", {"pack": pack.pk})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert not TestRecord.objects.exists()


@pytest.fixture
def body_never_parsed(monkeypatch):
    """Fails the test if anything parses a multipart body (the CSRF check would, first)."""

    def refuse(self):
        raise AssertionError("the oversized body was parsed")

    monkeypatch.setattr("django.http.multipartparser.MultiPartParser.parse", refuse)


def oversized(pack) -> dict:
    return {"pack": pack.pk, "file": SimpleUploadedFile("big.csv", b"0" * (2 * 1024 * 1024))}


def test_oversized_upload_is_refused_before_reading(alice, pack, settings, body_never_parsed):
    settings.TEST_DATA_MAX_UPLOAD_MB = 0
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post(f"/lots/{pack.lot_id}/test-data/", oversized(pack))
    assert response.status_code == 400
    assert b"the limit is 0 MB" in response.content
    assert not TestRecord.objects.exists()


def test_oversized_api_upload_is_refused_before_reading(alice, pack, settings, body_never_parsed):
    settings.TEST_DATA_MAX_UPLOAD_MB = 0
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)  # session authentication: DRF checks CSRF, reading the body
    response = browser.post(f"/api/packs/{pack.pk}/test-records/", oversized(pack))
    assert response.status_code == 400
    assert "the limit is 0 MB" in response.json()["file"][0]
    assert not TestRecord.objects.exists()


def test_upload_within_the_limit_still_needs_the_csrf_token(alice, pack):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post(
        f"/lots/{pack.lot_id}/test-data/",
        {"pack": pack.pk, "file": SimpleUploadedFile("x.csv", b"time_s\n")},
    )
    assert response.status_code == 403
    assert not TestRecord.objects.exists()


def test_another_supplier_cannot_upload_or_poll(client, rob, pack):
    client.force_login(rob)
    upload = client.post(
        f"/lots/{pack.lot_id}/test-data/",
        {"pack": pack.pk, "file": SimpleUploadedFile("x.csv", b"time_s\n")},
    )
    assert upload.status_code == 403
    assert client.get(f"/lots/{pack.lot_id}/test-data/status/").status_code == 403
    assert not TestRecord.objects.exists()


def test_status_partial_asks_htmx_to_refresh_when_done(client, alice, pack):
    client.force_login(alice)
    response = client.get(f"/lots/{pack.lot_id}/test-data/status/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
