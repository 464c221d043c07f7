import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.selectors import lot_audit_trail
from passports.services import passport_issue
from suppliers.choices import LotStatus
from suppliers.models import Pack
from tests.factories import LotFactory, PackFactory, PackModelFactory
from tests.passports.scenarios import assert_valid, example, measure, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed_pack(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    """A pack of a listed lot, measured, with a cycle count only its supplier declared."""
    lot = LotFactory(
        supplier=volta,
        pack_model=lfp_telecom_pack,
        status=LotStatus.LISTED,
        quantity=1,
        reference="V-LISTED",
    )
    pack = PackFactory(lot=lot, serial="LISTED-1", claimed_soh_pct=Decimal("80"), cycle_count=700)
    measure(user=alice, pack=pack, soh=80.0, callbacks=django_capture_on_commit_callbacks)
    return pack


@pytest.fixture
def draft_pack(volta, lfp_telecom_pack):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, reference="V-DRAFT"
    )
    return PackFactory(lot=lot, serial="DRAFT-1", cycle_count=30)


def _download(client, pack) -> dict:
    response = client.get(f"/packs/{pack.pk}/passport.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    return json.loads(response.content)


def test_the_pack_page_links_the_passport(client, alice, draft_pack):
    client.force_login(alice)
    page = client.get(f"/packs/{draft_pack.pk}/").content.decode()
    assert f'href="/packs/{draft_pack.pk}/passport.json"' in page
    assert "reuse-certificate-download" not in page  # not sold


def test_the_owner_downloads_every_figure(client, alice, listed_pack):
    client.force_login(alice)
    document = _download(client, listed_pack)
    assert_valid(document)
    dynamic = document["performance"]["dynamic"]
    assert dynamic["fullCycles"]["value"] == 700
    assert "capacity" in dynamic


def test_a_buyer_gets_only_verified_figures(client, bianca, listed_pack):
    client.force_login(bianca)
    document = _download(client, listed_pack)
    assert_valid(document)
    dynamic = document["performance"]["dynamic"]
    assert "capacity" in dynamic  # measured and standing
    assert "fullCycles" not in dynamic  # the supplier's declaration, not a measurement
    assert "declared cycle count" not in client.get(f"/packs/{listed_pack.pk}/").content.decode()


def test_a_buyer_gets_no_figure_measured_against_an_unapproved_model(client, bianca, listed_pack):
    listed_pack.verifications.update(verdict="unapproved_model")
    client.force_login(bianca)
    assert _download(client, listed_pack)["performance"]["dynamic"] == {}


def test_the_auditor_downloads_a_draft(client, audrey, draft_pack):
    client.force_login(audrey)
    assert _download(client, draft_pack)["performance"]["dynamic"]["fullCycles"]["value"] == 30


def test_others_cannot_download_a_draft(client, rob, bianca, draft_pack):
    for user in (rob, bianca):
        client.force_login(user)
        assert client.get(f"/packs/{draft_pack.pk}/passport.json").status_code == 404
        assert client.get(f"/packs/{draft_pack.pk}/reuse-certificate.json").status_code == 404
    client.logout()
    response = client.get(f"/packs/{draft_pack.pk}/passport.json")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reuse_certificate_download_and_refusal(client, alice, volta, lfp_telecom_pack):
    sold = PackFactory(
        lot__supplier=volta,
        lot__pack_model=lfp_telecom_pack,
        lot__status=LotStatus.SOLD,
        lot__summary__route="small-application",
    )
    client.force_login(alice)
    assert 'id="reuse-certificate-download"' in client.get(f"/packs/{sold.pk}/").content.decode()
    response = client.get(f"/packs/{sold.pk}/reuse-certificate.json")
    assert response.status_code == 200
    assert json.loads(response.content)["partInstanceId"][0]["value"] == sold.serial
    recycled = PackFactory(
        lot__supplier=volta,
        lot__pack_model=lfp_telecom_pack,
        lot__status=LotStatus.SOLD,
        lot__summary__route="recycle",
    )
    response = client.get(f"/packs/{recycled.pk}/reuse-certificate.json")
    assert response.status_code == 409
    assert "only for a pack sold for reuse" in response.content.decode()


def test_download_query_count_is_capped(client, alice, listed_pack, django_assert_max_num_queries):
    client.force_login(alice)
    with django_assert_max_num_queries(20):  # the first download issues and records it
        client.get(f"/packs/{listed_pack.pk}/passport.json")
    with django_assert_max_num_queries(10):
        client.get(f"/packs/{listed_pack.pk}/passport.json")


def test_the_lot_list_links_the_import_page(client, alice):
    client.force_login(alice)
    assert 'href="/supplier/passports/import/"' in client.get("/supplier/lots/").content.decode()


def _upload(content: bytes, name: str = "passport.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_a_supplier_imports_through_the_page(client, alice, volta):
    PackModelFactory(
        manufacturer="Example Cells",
        model="123-0.740-3434-A",
        chemistry="NMC",
        nominal_voltage_v="3.7",
        nominal_capacity_ah="4",
        nominal_energy_kwh="0.015",
        cells_series=1,
    )
    client.force_login(alice)
    assert client.get("/supplier/passports/import/").status_code == 200
    response = client.post(
        "/supplier/passports/import/",
        {"supplier": volta.pk, "document": _upload(json.dumps(example()).encode())},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "SN12345678" in page and "new draft lot" in page
    assert "7172-75-08 is not a real date" in page
    assert Pack.objects.get(serial="SN12345678").lot.supplier == volta


def test_a_refused_document_lists_its_problems_and_changes_nothing(client, alice, volta):
    client.force_login(alice)
    before = row_counts()
    bad = example()
    bad["sustainability"]["status"] = "second-life"
    bad["operation"]["manufacturer"]["manufacturingDate"] = "2999-12-31"
    response = client.post(
        "/supplier/passports/import/",
        {"supplier": volta.pk, "document": _upload(json.dumps(bad).encode())},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "sustainability.status" in page and "2999-12-31 is in the future" in page
    assert "Nothing was changed" in page
    response = client.post(
        "/supplier/passports/import/", {"supplier": volta.pk, "document": _upload(b"not json")}
    )
    assert response.status_code == 400 and "The file is not JSON" in response.content.decode()
    assert row_counts() == before


def test_rob_cannot_choose_voltas_organisation_or_draft(client, rob, volta, draft_pack):
    client.force_login(rob)
    response = client.post(
        "/supplier/passports/import/",
        {
            "supplier": volta.pk,
            "lot": draft_pack.lot_id,
            "document": _upload(json.dumps(example()).encode()),
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "supplier" in form.errors and "lot" in form.errors


def test_buyers_and_anonymous_have_no_import_page(client, bianca):
    client.force_login(bianca)
    assert client.get("/supplier/passports/import/").status_code == 403
    client.logout()
    assert client.get("/supplier/passports/import/").status_code == 302


def test_issuing_leaves_an_audit_entry_in_the_lots_trail(alice, draft_pack):
    passport_issue(user=alice, pack=draft_pack)
    actions = [e.action for e in lot_audit_trail(lot=draft_pack.lot)]
    assert "passport.issue.battery_pass" in actions
