"""The supplier's import page: upload, preview with every problem, confirm; and who may."""

import re

import pytest

from audit.models import AuditEntry
from suppliers.choices import LotStatus
from suppliers.models import HistoryEvent, Pack
from tests.factories import LotFactory, PackFactory
from tests.pack_files import csv_bytes, pack_rows, upload, xlsx_bytes


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    return LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, quantity=500,
        reference="VOLTA-DRAFT",
    )  # fmt: skip


def url(lot, what=""):
    return f"/lots/{lot.pk}/packs/import/{what}"


def counts():
    return Pack.objects.count(), HistoryEvent.objects.count(), AuditEntry.objects.count()


def preview(client, lot, data, name="packs.csv"):
    return client.post(url(lot), {"file": upload(data, name)})


def held_sha256(response) -> str:
    return re.search(r'name="sha256" value="([0-9a-f]{64})"', response.content.decode())[1]


@pytest.mark.parametrize(("make", "name"), [(csv_bytes, "p.csv"), (xlsx_bytes, "p.xlsx")])
def test_upload_preview_confirm(
    client, alice, draft, make, name, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    page = client.get(url(draft))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    response = preview(client, draft, make(pack_rows(120)), name)
    assert response.status_code == 200
    text = response.content.decode()
    assert "120 rows of packs read, 120 without a problem" in text
    assert "the first 50 of 120" in text
    assert "IMP-00050" in text and "IMP-00051" not in text
    assert "Import 120 packs" in text
    assert Pack.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url(draft, "confirm/"), {"sha256": held_sha256(response)})
    assert done.status_code == 302 and done["Location"] == f"/lots/{draft.pk}/"
    assert draft.packs.count() == 120
    lot_page = client.get(done["Location"]).content.decode()
    assert f"120 packs imported from {name} into lot VOLTA-DRAFT, with 240 history events" in (
        lot_page
    )


def test_every_error_is_shown_grouped_and_nothing_is_offered(client, alice, draft):
    client.force_login(alice)
    rows = [*pack_rows(3), ["IMP-00001", "104", "-1", "", "2020-01-01", "2019-01-01", ""]]
    before = counts()
    response = preview(client, draft, csv_bytes(rows))
    assert response.status_code == 400
    text = response.content.decode()
    assert "4 problems: nothing will be imported" in text
    for part in (
        "line 5: IMP-00001 repeats line 2.",
        "line 5: 104 is above 100 %.",
        "line 5: -1 is negative.",
        "line 5: The removal from service date 2019-01-01 is before the packs were made",
        "<h3>Claimed SOH <small",
    ):
        assert part in text
    assert "confirm-import" not in text
    assert 'name="sha256"' not in text
    assert counts() == before


def test_a_few_hundred_errors_are_listed_and_all_are_counted(client, alice, draft):
    client.force_login(alice)
    draft.quantity = 2000
    draft.save()
    rows = [[f"S-{n}", "104", "-1", "", "", "", ""] for n in range(400)]
    response = preview(client, draft, csv_bytes(rows))
    text = response.content.decode()
    assert "800 problems" in text
    assert "The first 300 are listed; 500 more are counted in their groups." in text
    assert text.count("is above 100 %") == 300
    assert "and 100 more" in text  # claimed SOH: 400, 300 shown
    assert "and 400 more" in text  # cycle count: none shown


def test_malformed_files_get_a_page_not_a_500(client, alice, draft):
    client.force_login(alice)
    for data, message in [
        (b"", "The submitted file is empty."),  # the form says so before the service
        (b"\x00\x01garbage" * 100, "it holds binary data"),
        (csv_bytes([]), "The file has a header but no packs."),
        (csv_bytes([["A"]], header=["serial", "colour"]), "unknown column &#x27;colour&#x27;"),
    ]:
        response = preview(client, draft, data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert client.post(url(draft), {}).status_code == 400  # no file at all


def test_the_size_limit_is_said_before_the_body_is_read(client, alice, draft):
    client.force_login(alice)
    response = client.post(url(draft), {"file": upload(b"serial\r\n" + b"A" * (6 * 1024 * 1024))})
    assert response.status_code == 400
    assert "the limit is 5 MB (20,000 packs)" in response.content.decode()


def test_the_lot_quantity_is_said_with_the_numbers(client, alice, draft):
    client.force_login(alice)
    PackFactory(lot=draft, serial="HERE-1")
    draft.quantity = 5
    draft.save()
    response = preview(client, draft, csv_bytes(pack_rows(6)))
    assert response.status_code == 400
    assert "quantity is 5 packs and it has 1: the file&#x27;s 6 would make 7" in (
        response.content.decode()
    )


def test_a_serial_listed_by_rob_is_named(client, alice, draft, recell, lfp_telecom_pack):
    PackFactory(lot=LotFactory(supplier=recell, pack_model=lfp_telecom_pack), serial="IMP-00002")
    client.force_login(alice)
    response = preview(client, draft, csv_bytes(pack_rows(3)))
    assert response.status_code == 400
    assert "line 3: IMP-00002 is already listed by another organisation" in (
        response.content.decode()
    )


def test_a_confirmation_that_no_longer_passes_shows_why(
    client, alice, draft, recell, lfp_telecom_pack
):
    client.force_login(alice)
    response = preview(client, draft, csv_bytes(pack_rows(3)))
    PackFactory(lot=LotFactory(supplier=recell, pack_model=lfp_telecom_pack), serial="IMP-00001")
    before = counts()
    refused = client.post(url(draft, "confirm/"), {"sha256": held_sha256(response)})
    assert refused.status_code == 400
    assert "line 2: IMP-00001 is already listed by another organisation" in (
        refused.content.decode()
    )
    assert counts() == before
    gone = client.post(url(draft, "confirm/"), {"sha256": "f" * 64})
    assert gone.status_code == 400 and "no longer held" in gone.content.decode()


def test_rob_cannot_import_into_voltas_lot(client, alice, rob, draft):
    client.force_login(alice)
    sha256 = held_sha256(preview(client, draft, csv_bytes(pack_rows(3))))
    client.force_login(rob)
    assert client.get(url(draft)).status_code == 404  # another's draft is not even seen
    assert preview(client, draft, csv_bytes(pack_rows(3))).status_code == 404
    assert client.post(url(draft, "confirm/"), {"sha256": sha256}).status_code == 404
    assert Pack.objects.count() == 0


def test_buyers_and_anonymous_visitors_are_refused(client, bianca, volta, lfp_telecom_pack):
    listed = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.LISTED)
    draft = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT)
    anonymous = client.get(url(draft))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert client.post(url(draft), {"file": upload(csv_bytes(pack_rows(1)))}).status_code == 302
    client.force_login(bianca)
    assert client.get(url(draft)).status_code == 404
    assert client.get(url(listed)).status_code == 403  # seen, but not hers to change
    assert preview(client, listed, csv_bytes(pack_rows(1))).status_code == 403
    assert client.post(url(listed, "confirm/"), {"sha256": "0" * 64}).status_code == 403
    assert Pack.objects.count() == 0


def test_a_lot_past_draft_refuses_imports(client, alice, volta, lfp_telecom_pack):
    submitted = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.SUBMITTED)
    client.force_login(alice)
    page = client.get(url(submitted))
    assert page.status_code == 400
    assert "draft lot only; this lot is Submitted" in page.content.decode()
    assert preview(client, submitted, csv_bytes(pack_rows(1))).status_code == 400
    assert Pack.objects.count() == 0


def test_the_lot_page_links_the_import_for_its_managers_while_draft(
    client, alice, bianca, audrey, draft, volta, lfp_telecom_pack
):
    client.force_login(alice)
    assert 'id="pack-import-link"' in client.get(f"/lots/{draft.pk}/").content.decode()
    submitted = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.SUBMITTED)
    assert 'id="pack-import-link"' not in client.get(f"/lots/{submitted.pk}/").content.decode()
    client.force_login(audrey)
    assert 'id="pack-import-link"' not in client.get(f"/lots/{draft.pk}/").content.decode()


def test_the_template_csv_is_the_accepted_header(client, alice):
    client.force_login(alice)
    response = client.get("/supplier/packs/import-template.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode() == (
        "serial,claimed_soh_pct,cycle_count,vin,manufactured_on,in_service_on,removed_on,notes\r\n"
    )


def test_the_preview_page_asks_few_queries_whatever_the_rows(
    client, alice, draft, django_assert_max_num_queries
):
    client.force_login(alice)
    for count in (10, 400):
        with django_assert_max_num_queries(12):
            response = preview(client, draft, csv_bytes(pack_rows(count, prefix=f"Q{count}")))
        assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(url(draft)).status_code == 200
