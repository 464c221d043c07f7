"""The auditors' actions through `/api/audit/...`: the same services and permissions as the
pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.selectors import audit_chain_verify
from marketplace import services as marketplace_services
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.models import TestRecord


@pytest.fixture
def lot(volta, alice, lfp_telecom_pack, django_capture_on_commit_callbacks):
    """Claimed 95 %, measured about 84 %: a discrepancy for the auditors."""
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=95, quantity=1)
    pack = PackFactory(lot=lot)
    with django_capture_on_commit_callbacks(execute=True):
        marketplace_services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=84, pack_model=lfp_telecom_pack),
        )
    lot.refresh_from_db()
    return lot


def test_ask_answer_approve_through_the_api(api, lot, alice, audrey):
    assert lot.status == "discrepancy"
    api.force_authenticate(audrey)
    asked = api.post(
        f"/api/audit/lots/{lot.pk}/requests/",
        {"kind": "question", "text": "The claim says 95 %: from which test?"},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    request_id = asked.json()["id"]

    api.force_authenticate(alice)
    mine = api.get("/api/audit/requests/").json()
    assert [item["id"] for item in mine["results"]] == [request_id]
    answered = api.post(
        f"/api/audit/requests/{request_id}/answers/",
        {"text": "A BMS estimate; the cycler test is the truth.",
         "files": [SimpleUploadedFile("bms.csv", b"soc,soh\n1,95\n")]},
        format="multipart",
    )  # fmt: skip
    assert answered.status_code == 201, answered.content
    assert answered.json()["files"][0]["original_name"] == "bms.csv"

    api.force_authenticate(audrey)
    waiting = api.get("/api/audit/requests/?status=answered").json()["results"]
    assert [item["id"] for item in waiting] == [request_id]
    decided = api.post(
        f"/api/audit/lots/{lot.pk}/decision/",
        {"decision": "reject", "reason": "Claim from a BMS estimate, not a test"},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "rejected"
    assert api.get("/api/audit/requests/?status=closed").json()["count"] == 1
    assert audit_chain_verify().ok


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/audit/lots/{lot}/decision/", {"decision": "approve", "reason": "fine"}),
        ("/api/audit/lots/{lot}/route/", {"route": "recycle", "reason": "leak"}),
        ("/api/audit/lots/{lot}/requests/", {"kind": "question", "text": "?"}),
        ("/api/audit/test-records/{record}/rerun/", {"reason": "again"}),
    ],
)
@pytest.mark.parametrize("persona", ["alice", "rob", "bianca"])
def test_only_auditors_act(api, lot, persona, path, body, request):
    api.force_authenticate(request.getfixturevalue(persona))
    record = TestRecord.objects.get(pack__lot=lot)
    response = api.post(path.format(lot=lot.pk, record=record.pk), body, format="json")
    assert response.status_code == 403
    assert Lot.objects.get(pk=lot.pk).status == "discrepancy"


def test_bad_requests_get_field_errors_and_change_nothing(api, lot, audrey):
    api.force_authenticate(audrey)
    no_reason = api.post(f"/api/audit/lots/{lot.pk}/decision/", {"decision": "approve"},
                         format="json")  # fmt: skip
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    wrong = api.post(f"/api/audit/lots/{lot.pk}/decision/",
                     {"decision": "approve", "reason": "   "}, format="json")  # fmt: skip
    assert wrong.status_code == 400
    assert api.post("/api/audit/lots/999999/decision/", {"decision": "approve", "reason": "x"},
                    format="json").status_code == 404  # fmt: skip
    assert api.post("/api/audit/test-records/999999/rerun/", {"reason": "x"},
                    format="json").status_code == 404  # fmt: skip
    assert Lot.objects.get(pk=lot.pk).status == "discrepancy"


def test_another_supplier_cannot_answer(api, lot, audrey, rob):
    api.force_authenticate(audrey)
    request_id = api.post(f"/api/audit/lots/{lot.pk}/requests/",
                          {"kind": "data_request", "text": "A fresh test, please"},
                          format="json").json()["id"]  # fmt: skip
    api.force_authenticate(rob)
    assert api.get("/api/audit/requests/").json()["count"] == 0
    response = api.post(f"/api/audit/requests/{request_id}/answers/", {"text": "hi"})
    assert response.status_code == 404


def test_the_queue_in_the_api(api, lot, audrey, alice, bianca):
    api.force_authenticate(audrey)
    body = api.get("/api/audit/queue/").json()
    assert body["counts"]["discrepancy"] == 1
    item = body["results"][0]
    assert (item["lot"], item["kind"]) == (lot.pk, "discrepancy")
    assert item["score"] > 0 and item["reasons"]
    assert api.get("/api/audit/queue/?kind=duplicate").json()["results"] == []
    assert api.get("/api/audit/queue/?older_than_days=abc").status_code == 400
    for user in (alice, bianca):
        api.force_authenticate(user)
        assert api.get("/api/audit/queue/").status_code == 403
