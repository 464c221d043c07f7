import pytest

from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot
from verification.models import TestRecord


def lot_payload(model, **overrides):
    payload = {
        "reference": "API-1",
        "pack_model": model.pk,
        "location": "Leeds, GB",
        "quantity": 3,
        "claimed_soh_pct": "82.5",
        "price_per_kwh": "95.00",
        "packs": [{"serial": "S-1", "cycle_count": 1200}, {"serial": "S-2"}],
        "history": [{"kind": "manufactured", "occurred_on": "2018-04-01"}],
    }
    payload.update(overrides)
    return payload


def test_supplier_creates_and_submits_a_lot(api, alice, lfp_telecom_pack):
    api.force_authenticate(alice)
    response = api.post("/api/lots/", lot_payload(lfp_telecom_pack), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == LotStatus.DRAFT
    assert [p["pack"]["serial"] for p in body["packs"]] == ["S-1", "S-2"]
    response = api.post(f"/api/lots/{body['id']}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == LotStatus.SUBMITTED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"claimed_soh_pct": "104"}, "claimed_soh_pct"),
        ({"claimed_soh_pct": "abc"}, "claimed_soh_pct"),
        ({"quantity": 0}, "quantity"),
        ({"price_per_kwh": "-1"}, "price_per_kwh"),
        ({"packs": []}, "packs"),
        ({"pack_model": 999999}, "pack_model"),
        ({"history": [{"kind": "volcano", "occurred_on": "2020-01-01"}]}, "history"),
        # The dates the web form refuses, the API refuses too (one check in the service).
        (
            {
                "history": [
                    {"kind": "manufactured", "occurred_on": "2020-01-01"},
                    {"kind": "removed", "occurred_on": "2019-06-01"},
                ]
            },
            "history",
        ),
        ({"history": [{"kind": "storage", "occurred_on": "2999-01-01"}]}, "history"),
        ({"packs": [{"serial": "X"}, {"serial": "X"}]}, "packs"),
        # As when an event is added later: only a custody transfer names from and to.
        (
            {
                "history": [
                    {"kind": "manufactured", "occurred_on": "2018-04-01", "custody_to": "ReCell"},
                ]
            },
            "history",
        ),
    ],
)
def test_bad_lot_requests_get_field_errors(api, alice, lfp_telecom_pack, overrides, field):
    api.force_authenticate(alice)
    response = api.post("/api/lots/", lot_payload(lfp_telecom_pack, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Lot.objects.exists()


def test_a_new_lots_history_is_cleaned_as_an_added_event_is(api, alice, lfp_telecom_pack):
    api.force_authenticate(alice)
    removed = {"kind": "removed", "occurred_on": "2025-06-01", "vin": " 5yj3e1ea7kf317000 ",
               "actor": "  Volta   Fleet "}  # fmt: skip
    history = [{"kind": "manufactured", "occurred_on": "2018-04-01"}, removed]
    response = api.post("/api/lots/", lot_payload(lfp_telecom_pack, history=history), format="json")
    assert response.status_code == 201, response.json()
    event = Lot.objects.get().history.get(kind="removed")
    assert (event.vin, event.actor) == ("5YJ3E1EA7KF317000", "Volta Fleet")


def test_duplicate_reference_is_400(api, alice, lfp_telecom_pack):
    api.force_authenticate(alice)
    assert api.post("/api/lots/", lot_payload(lfp_telecom_pack), format="json").status_code == 201
    response = api.post("/api/lots/", lot_payload(lfp_telecom_pack), format="json")
    assert response.status_code == 400
    assert "reference" in response.json()


def test_buyer_cannot_create_lots(api, bianca, lfp_telecom_pack):
    api.force_authenticate(bianca)
    response = api.post("/api/lots/", lot_payload(lfp_telecom_pack), format="json")
    assert response.status_code == 400
    assert Lot.objects.count() == 0


def test_anonymous_is_refused(api):
    assert api.get("/api/lots/").status_code in (401, 403)


def test_drafts_stay_with_their_supplier(api, alice, rob, bianca, volta):
    draft = LotFactory(supplier=volta, status=LotStatus.DRAFT)
    for user, visible in ((alice, True), (rob, False), (bianca, False)):
        api.force_authenticate(user)
        ids = [lot["id"] for lot in api.get("/api/lots/").json()["results"]]
        assert (draft.pk in ids) is visible
        assert api.get(f"/api/lots/{draft.pk}/").status_code == (200 if visible else 404)


def test_test_data_upload_through_the_api(
    api, alice, rob, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):

    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    api.force_authenticate(rob)
    response = api.post(
        f"/api/packs/{pack.pk}/test-records/",
        {"file": capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack)},
        format="multipart",
    )
    assert response.status_code == 404
    api.force_authenticate(alice)
    assert (
        api.post(f"/api/packs/{pack.pk}/test-records/", {}, format="multipart").status_code == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/packs/{pack.pk}/test-records/",
            {"file": capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack)},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    assert response.json()["already_uploaded"] is False
    record = api.get(f"/api/test-records/{response.json()['id']}/").json()
    assert record["status"] == "done"
    api.force_authenticate(rob)
    assert api.get(f"/api/test-records/{record['id']}/").status_code == 403


def test_the_same_file_again_answers_the_earlier_upload_and_stores_nothing(
    api, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    api.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(
            f"/api/packs/{pack.pk}/test-records/",
            {"file": capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack)},
            format="multipart",
        )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = api.post(
            f"/api/packs/{pack.pk}/test-records/",
            {"file": capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack, name="b.csv")},
            format="multipart",
        )
    assert again.status_code == 200, again.content
    body = again.json()
    assert body["id"] == first.json()["id"]
    assert body["already_uploaded"] is True
    assert body["status"] == "done"
    assert "already uploaded for pack" in body["detail"]
    assert callbacks == []  # nothing queued
    assert TestRecord.objects.filter(pack=pack).count() == 1


def test_openapi_schema_is_generated(api, alice):
    api.force_authenticate(alice)
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/lots/" in response.json()["paths"]


def test_lot_api_names_the_soh_definition_and_how_it_was_obtained(
    api, alice, bianca, volta, nmc_module, django_capture_on_commit_callbacks
):

    lot = measured_lot(
        supplier=volta,
        pack_model=nmc_module,
        soh_values=[86.0],
        uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )
    api.force_authenticate(bianca)
    body = api.get(f"/api/lots/{lot.pk}/").json()
    measurement = body["packs"][0]["verification"]["measurement"]
    assert measurement["soh_definition"] == "capacity"
    by = measurement["soh_by_definition"]
    assert by["capacity"] == pytest.approx(measurement["soh_pct"])
    assert by["energy"] is not None and by["energy"] != by["capacity"]  # Wh, not Ah
    assert measurement["soh_basis"]["cycle_used"] == measurement["cycle_used"]
    assert measurement["resistance_mohm"] > 0 and measurement["resistance_pulse_s"] == 10
