"""POST /api/lots/{id}/packs/import/: dry run, import, errors as {line, column, message}."""

import pytest

from audit.models import AuditEntry
from suppliers.choices import LotStatus
from suppliers.models import HistoryEvent, Pack
from tests.factories import LotFactory, PackFactory
from tests.pack_files import csv_bytes, pack_rows, upload, xlsx_bytes


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    return LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, quantity=100,
        reference="VOLTA-DRAFT",
    )  # fmt: skip


def url(lot):
    return f"/api/lots/{lot.pk}/packs/import/"


def counts():
    return Pack.objects.count(), HistoryEvent.objects.count(), AuditEntry.objects.count()


def post(api, lot, data, name="packs.csv", **fields):
    return api.post(url(lot), {"file": upload(data, name), **fields}, format="multipart")


def test_a_dry_run_says_what_would_be_imported_and_saves_nothing(api, alice, draft):
    api.force_authenticate(alice)
    before = counts()
    response = post(api, draft, csv_bytes(pack_rows(12)), dry_run="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["dry_run"], body["rows"], body["errors"], body["file"]) == (
        True, 12, [], "packs.csv",
    )  # fmt: skip
    assert len(body["sha256"]) == 64
    assert counts() == before


@pytest.mark.parametrize(("make", "name"), [(csv_bytes, "p.csv"), (xlsx_bytes, "p.xlsx")])
def test_an_import_answers_201_with_the_count(api, alice, draft, make, name):
    api.force_authenticate(alice)
    response = post(api, draft, make(pack_rows(25)), name)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["dry_run"], body["rows"], body["history_events"]) == (False, 25, 50)
    assert draft.packs.count() == 25
    assert AuditEntry.objects.filter(action="lot.packs_import", object_id=str(draft.pk)).exists()
    lot = api.get(f"/api/lots/{draft.pk}/").json()
    assert len(lot["packs"]) == 25


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_errors_come_as_a_list_of_line_column_message(api, alice, draft, dry_run):
    api.force_authenticate(alice)
    rows = [*pack_rows(2), ["IMP-00001", "104", "", "", "", "", ""]]
    before = counts()
    response = post(api, draft, csv_bytes(rows), dry_run=dry_run)
    assert response.status_code == 400
    body = response.json()
    assert body["rows"] == 3 and body["errors_total"] == 2
    assert body["errors"] == [
        {"line": 4, "column": "serial", "message": "IMP-00001 repeats line 2."},
        {"line": 4, "column": "claimed_soh_pct", "message": "104 is above 100 %."},
    ]
    assert counts() == before


def test_file_level_errors_have_no_line_or_column(api, alice, draft, recell, lfp_telecom_pack):
    api.force_authenticate(alice)
    response = post(api, draft, b"\x00\xff" * 50)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["line"] is None and error["column"] is None
    assert "binary data" in error["message"]
    PackFactory(lot=LotFactory(supplier=recell, pack_model=lfp_telecom_pack), serial="IMP-00001")
    (error,) = post(api, draft, csv_bytes(pack_rows(1))).json()["errors"]
    assert error["line"] == 2 and "already listed by another organisation" in error["message"]


def test_a_long_list_of_errors_is_cut_but_counted(api, alice, draft):
    api.force_authenticate(alice)
    draft.quantity = 5000
    draft.save()
    rows = [[f"S-{n}", "104", "-1", "", "", "", ""] for n in range(600)]
    body = post(api, draft, csv_bytes(rows)).json()
    assert body["errors_total"] == 1200 and len(body["errors"]) == 1000


def test_the_upload_size_is_refused_from_its_length(api, alice, draft):
    api.force_authenticate(alice)
    response = post(api, draft, b"serial\r\n" + b"A" * (6 * 1024 * 1024))
    assert response.status_code == 400
    assert "the limit is 5 MB" in response.json()["file"][0]


def test_a_missing_file_is_a_field_error(api, alice, draft):
    api.force_authenticate(alice)
    response = api.post(url(draft), {"dry_run": "true"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_who_may_import(api, alice, rob, bianca, audrey, draft, volta, lfp_telecom_pack):
    data = csv_bytes(pack_rows(1))
    assert post(api, draft, data).status_code in (401, 403)  # anonymous
    api.force_authenticate(rob)
    assert post(api, draft, data).status_code == 404  # another supplier's draft is not seen
    api.force_authenticate(bianca)
    assert post(api, draft, data).status_code == 404
    listed = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.LISTED)
    assert post(api, listed, data).status_code == 403
    api.force_authenticate(audrey)
    assert post(api, draft, data).status_code == 403  # auditors see drafts, change none
    api.force_authenticate(alice)
    refused = post(api, listed, data)
    assert refused.status_code == 400
    assert "draft lot only; this lot is Listed" in str(refused.json())
    assert Pack.objects.count() == 0


def test_the_schema_documents_the_import(api, alice):
    api.force_authenticate(alice)
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/lots/{id}/packs/import/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "201", "400"} <= set(operation["responses"])


def test_the_api_keeps_the_files_name_as_the_web_does(api, alice, draft):
    """The trail names the file as the preview would: one safe line, whatever was sent."""
    api.force_authenticate(alice)
    response = post(api, draft, csv_bytes(pack_rows(2)), "../../etc/pack list <1>.csv")
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get(action="lot.packs_import", object_id=str(draft.pk))
    assert entry.after["file"] == "pack_list_1.csv"
