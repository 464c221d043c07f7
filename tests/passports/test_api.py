import pytest

from suppliers.choices import LotStatus
from suppliers.models import Pack
from tests.factories import LotFactory, MembershipFactory, PackFactory, PackModelFactory
from tests.passports.scenarios import assert_valid, example, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_pack(volta, lfp_telecom_pack):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, reference="V-DRAFT"
    )
    return PackFactory(lot=lot, serial="DRAFT-1", cycle_count=30)


@pytest.fixture
def example_model(db):
    return PackModelFactory(
        manufacturer="Example Cells",
        model="123-0.740-3434-A",
        chemistry="NMC",
        nominal_voltage_v="3.7",
        nominal_capacity_ah="4",
        nominal_energy_kwh="0.015",
        cells_series=1,
    )


def test_the_owner_gets_the_passport(api, alice, draft_pack):
    api.force_authenticate(alice)
    response = api.get(f"/api/packs/{draft_pack.pk}/passport/")
    assert response.status_code == 200
    assert_valid(response.json())


def test_others_do_not_see_a_drafts_passport(api, rob, bianca, draft_pack):
    for user in (rob, bianca):
        api.force_authenticate(user)
        assert api.get(f"/api/packs/{draft_pack.pk}/passport/").status_code == 404
        assert api.get(f"/api/packs/{draft_pack.pk}/reuse-certificate/").status_code == 404
    api.force_authenticate(None)
    # Anonymous: 401, naming the token scheme to authenticate with.
    assert api.get(f"/api/packs/{draft_pack.pk}/passport/").status_code == 401
    assert (
        api.post("/api/passports/import/", {"document": example()}, format="json").status_code
        == 401
    )


def test_reuse_certificate_is_refused_for_a_draft(api, alice, draft_pack):
    api.force_authenticate(alice)
    response = api.get(f"/api/packs/{draft_pack.pk}/reuse-certificate/")
    assert response.status_code == 409
    assert "only for a pack sold for reuse" in response.json()["detail"]


def test_passport_endpoint_query_count(api, alice, draft_pack, django_assert_max_num_queries):
    api.force_authenticate(alice)
    with django_assert_max_num_queries(22):
        api.get(f"/api/packs/{draft_pack.pk}/passport/")
    with django_assert_max_num_queries(8):
        api.get(f"/api/packs/{draft_pack.pk}/passport/")


def test_import_creates_then_updates(api, alice, volta, example_model):
    api.force_authenticate(alice)
    response = api.post("/api/passports/import/", {"document": example()}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["serial"] == "SN12345678" and body["lot_created"]
    assert body["warnings"]
    again = api.post(
        "/api/passports/import/",
        {"document": example(), "lot": body["lot_reference"]},
        format="json",
    )
    assert again.status_code == 200 and not again.json()["pack_created"]
    assert Pack.objects.filter(serial="SN12345678").count() == 1


def test_an_invalid_document_gets_every_problem_by_path(api, alice, example_model):
    api.force_authenticate(alice)
    document = example()
    document["sustainability"]["status"] = "second-life"
    document["performance"]["dynamic"]["capacity"]["fade"]["value"] = 140
    before = row_counts()
    response = api.post("/api/passports/import/", {"document": document}, format="json")
    assert response.status_code == 400
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == ["performance.dynamic.capacity.fade.value", "sustainability.status"]
    assert row_counts() == before


def test_rob_cannot_import_for_volta(api, rob, volta, draft_pack, example_model):
    api.force_authenticate(rob)
    before = row_counts()
    response = api.post(
        "/api/passports/import/",
        {"document": example(), "supplier": "volta", "lot": "V-DRAFT"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "supplier"
    response = api.post(
        "/api/passports/import/", {"document": example(), "lot": "V-DRAFT"}, format="json"
    )
    assert response.status_code == 400
    assert "has no lot with reference 'V-DRAFT'" in response.json()["errors"][0]["message"]
    assert row_counts() == before


def test_a_member_of_two_suppliers_says_which(api, alice, recell, example_model):
    MembershipFactory(user=alice, organisation=recell)
    api.force_authenticate(alice)
    response = api.post("/api/passports/import/", {"document": example()}, format="json")
    assert response.status_code == 400 and "several" in response.json()["detail"]
    response = api.post(
        "/api/passports/import/", {"document": example(), "supplier": "recell"}, format="json"
    )
    assert response.status_code == 201
    assert Pack.objects.get(serial="SN12345678").lot.supplier == recell


def test_the_endpoints_are_documented(api, audrey):
    api.force_authenticate(audrey)
    schema = api.get("/api/schema/?format=json").json()
    for path in (
        "/api/packs/{id}/passport/",
        "/api/packs/{id}/reuse-certificate/",
        "/api/passports/import/",
    ):
        assert path in schema["paths"], path
