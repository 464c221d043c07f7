import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.models import TestRecord


@pytest.fixture
def pack(volta, lfp_telecom_pack):
    return PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack), serial="P-9")


def test_upload_form_verifies_and_redirects(
    client, alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/lots/{pack.lot_id}/test-data/",
            {
                "pack": pack.pk,
                "data_format": "canonical_csv",
                "file": capacity_test_upload(soh_pct=86, pack_model=lfp_telecom_pack),
            },
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b"Claim confirmed" in page.content


def test_upload_without_a_file_is_400_with_the_form_error(client, alice, pack):
    client.force_login(alice)
    response = client.post(f"/lots/{pack.lot_id}/test-data/", {"pack": pack.pk})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert not TestRecord.objects.exists()


def test_oversized_upload_is_refused_before_reading(client, alice, pack, settings):
    settings.TEST_DATA_MAX_UPLOAD_MB = 0
    client.force_login(alice)
    response = client.post(
        f"/lots/{pack.lot_id}/test-data/",
        {"pack": pack.pk, "file": SimpleUploadedFile("big.csv", b"0" * (2 * 1024 * 1024))},
    )
    assert response.status_code == 400
    assert b"the limit is 0 MB" in response.content
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
