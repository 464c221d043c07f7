"""The supplier's draft pages and API: edit, growing pack rows (htmx and without JavaScript),
remove, recall; pack-model proposals; each persona's refusals change nothing."""

import pytest

from audit.models import AuditEntry
from marketplace.history import document_upload
from suppliers.choices import LotStatus
from suppliers.models import Lot, PackModel
from tests.documents import pdf
from tests.factories import LotFactory, PackFactory, PackModelFactory


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, quantity=6,
        reference="DRAFT-W",
    )  # fmt: skip
    for serial in ("W-1", "W-2"):
        PackFactory(lot=lot, serial=serial)
    return lot


def edit_data(lot, **overrides):
    data = {
        "reference": lot.reference,
        "pack_model": lot.pack_model_id,
        "location": lot.location,
        "quantity": str(lot.quantity),
        "claimed_soh_pct": str(lot.claimed_soh_pct),
        "price_per_kwh": str(lot.price_per_kwh),
        "add-TOTAL_FORMS": "2",
        "add-INITIAL_FORMS": "0",
        "add-MIN_NUM_FORMS": "0",
        "add-MAX_NUM_FORMS": "500",
        "add-0-serial": "",
        "add-1-serial": "",
    }
    data.update(overrides)
    return data


def serials(lot):
    return sorted(lot.packs.values_list("serial", flat=True))


def test_the_edit_page_saves_fields_and_new_packs_together(client, alice, draft):
    client.force_login(alice)
    page = client.get(f"/lots/{draft.pk}/edit/")
    assert page.status_code == 200
    assert b"W-1" in page.content and b"Add a row" in page.content
    response = client.post(
        f"/lots/{draft.pk}/edit/",
        edit_data(draft, location="York", **{"add-0-serial": "W-3", "add-1-serial": "W-4"}),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.location == "York"
    assert serials(draft) == ["W-1", "W-2", "W-3", "W-4"]
    assert {e.action for e in AuditEntry.objects.all()} >= {"lot.update", "lot.packs_add"}


def test_a_refused_save_shows_why_and_keeps_nothing(client, alice, draft):
    client.force_login(alice)
    response = client.post(
        f"/lots/{draft.pk}/edit/",
        edit_data(draft, location="York", quantity="2", **{"add-0-serial": "W-3"}),
    )
    assert response.status_code == 400
    assert b"quantity is 2 and it lists 2 packs" in response.content
    # The page heads with what is saved, not with what was refused.
    assert b'<span id="pack-count">2</span> of 6)' in response.content
    draft.refresh_from_db()
    assert (draft.location, draft.quantity, serials(draft)) == ("Leeds, GB", 6, ["W-1", "W-2"])


def test_without_javascript_add_a_row_shows_the_form_again_one_row_longer(client, alice, draft):
    client.force_login(alice)
    response = client.post(
        f"/lots/{draft.pk}/edit/",
        edit_data(draft, location="Typed, not saved", add_row="1", **{"add-0-serial": "W-9"}),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="add-TOTAL_FORMS" value="3"' in body
    assert 'value="W-9"' in body and 'value="Typed, not saved"' in body
    assert 'class="errorlist"' not in body
    assert Lot.objects.get(pk=draft.pk).location == "Leeds, GB"


def test_htmx_adds_one_row_and_the_new_total_out_of_band(client, alice):
    client.force_login(alice)
    response = client.get("/supplier/pack-row/", {"prefix": "packs", "packs-TOTAL_FORMS": "4"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="packs-4-serial"' in body
    assert 'name="packs-TOTAL_FORMS" value="5"' in body and 'hx-swap-oob="true"' in body
    assert (
        client.get("/supplier/pack-row/", {"prefix": "x", "x-TOTAL_FORMS": "1"}).status_code == 404
    )
    assert client.get("/supplier/pack-row/", {"prefix": "packs"}).status_code == 404
    too_many = client.get("/supplier/pack-row/", {"prefix": "packs", "packs-TOTAL_FORMS": "500"})
    assert too_many.status_code == 400


def test_the_new_lot_form_grows_too(client, alice, volta, lfp_telecom_pack):
    client.force_login(alice)
    page = client.get("/supplier/lots/new/").content.decode()
    assert 'name="packs-TOTAL_FORMS" value="2"' in page  # one required, one spare
    grown = client.post(
        "/supplier/lots/new/",
        {
            "supplier": volta.pk, "reference": "NEW-1", "add_row": "1",
            "packs-TOTAL_FORMS": "2", "packs-INITIAL_FORMS": "0",
            "packs-MIN_NUM_FORMS": "1", "packs-MAX_NUM_FORMS": "500",
        },
    )  # fmt: skip
    assert grown.status_code == 200
    assert 'name="packs-TOTAL_FORMS" value="3"' in grown.content.decode()
    assert not Lot.objects.filter(reference="NEW-1").exists()


def test_a_pack_is_removed_by_htmx_or_a_plain_post(client, alice, draft):
    client.force_login(alice)
    first, second = draft.packs.order_by("serial")
    response = client.post(f"/lots/{draft.pk}/packs/{first.pk}/remove/", HTTP_HX_REQUEST="true")
    # The row goes; the count that heads the table follows out of band.
    assert response.status_code == 200
    assert response.content == b'<span id="pack-count" hx-swap-oob="true">1</span>'
    refused = client.post(f"/lots/{draft.pk}/packs/{second.pk}/remove/", HTTP_HX_REQUEST="true")
    # Refused: the row again with the reason, as a 422 that htmx swaps in (base.html).
    assert refused.status_code == 422
    assert f'<tr id="pack-{second.pk}">'.encode() in refused.content
    assert b'role="alert">A lot needs at least one pack' in refused.content
    assert serials(draft) == ["W-2"]
    plain = client.post(f"/lots/{draft.pk}/packs/{second.pk}/remove/")
    assert plain.status_code == 302 and plain["Location"] == f"/lots/{draft.pk}/edit/"


def test_a_pack_with_evidence_offers_no_remove_button(client, alice, draft):
    first = draft.packs.order_by("serial").first()
    document_upload(user=alice, lot=draft, pack=first, uploaded_file=pdf(),
                    kind="safety_data_sheet")  # fmt: skip
    client.force_login(alice)
    page = client.get(f"/lots/{draft.pk}/edit/").content.decode()
    row = page[page.index(f'<tr id="pack-{first.pk}">') :].split("</tr>")[0]
    assert "has test data or documents: stays" in row and "Remove" not in row


def test_a_submitted_lot_has_no_edit_page_and_can_be_recalled(client, alice, draft):
    Lot.objects.filter(pk=draft.pk).update(status=LotStatus.SUBMITTED)
    client.force_login(alice)
    assert client.get(f"/lots/{draft.pk}/edit/").status_code == 302
    page = client.get(f"/lots/{draft.pk}/").content.decode()
    assert 'id="recall-lot"' in page
    client.post(f"/lots/{draft.pk}/recall/", {"reason": "Fix the claim"})
    assert Lot.objects.get(pk=draft.pk).status == LotStatus.DRAFT


def test_a_member_sees_edit_but_not_submit_or_withdraw(client, mia, draft):
    client.force_login(mia)
    page = client.get(f"/lots/{draft.pk}/").content.decode()
    assert 'id="edit-lot"' in page and 'id="admin-submits"' in page
    assert 'id="submit-lot"' not in page and 'id="withdraw-lot"' not in page
    client.post(f"/lots/{draft.pk}/submit/")
    client.post(f"/lots/{draft.pk}/withdraw/")
    assert Lot.objects.get(pk=draft.pk).status == LotStatus.DRAFT
    assert client.get(f"/lots/{draft.pk}/edit/").status_code == 200


@pytest.mark.parametrize("persona", ["rob", "bianca", "audrey"])
def test_only_the_supplier_reaches_its_drafts_pages(client, request, draft, persona):
    client.force_login(request.getfixturevalue(persona))
    pack = draft.packs.first()
    assert client.get(f"/lots/{draft.pk}/edit/").status_code == 404
    assert client.post(f"/lots/{draft.pk}/edit/", edit_data(draft, location="X")).status_code == 404
    assert client.post(f"/lots/{draft.pk}/packs/{pack.pk}/remove/").status_code == 404
    assert client.post(f"/lots/{draft.pk}/recall/").status_code == 404
    draft.refresh_from_db()
    assert (draft.location, serials(draft)) == ("Leeds, GB", ["W-1", "W-2"])


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    for url in (f"/lots/{draft.pk}/edit/", "/supplier/pack-row/", "/supplier/pack-models/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_edit_page_has_a_fixed_query_count(client, alice, draft, django_assert_max_num_queries):
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        client.get(f"/lots/{draft.pk}/edit/")
    for index in range(20):
        PackFactory(lot=draft, serial=f"MORE-{index}")
    with django_assert_max_num_queries(12):
        assert client.get(f"/lots/{draft.pk}/edit/").status_code == 200


# --- API --------------------------------------------------------------------------------


def test_the_api_edits_adds_and_removes_packs_of_a_draft(api, alice, draft):
    api.force_authenticate(alice)
    changed = api.patch(f"/api/lots/{draft.pk}/", {"location": "York"}, format="json")
    assert changed.status_code == 200 and changed.data["location"] == "York"
    added = api.post(
        f"/api/lots/{draft.pk}/packs/",
        {"packs": [{"serial": "W-3", "claimed_soh_pct": "81.5"}]},
        format="json",
    )
    assert added.status_code == 201
    new = draft.packs.get(serial="W-3")
    removed = api.delete(f"/api/lots/{draft.pk}/packs/{new.pk}/")
    assert removed.status_code == 200
    assert serials(draft) == ["W-1", "W-2"]


def test_the_api_refuses_with_the_field_and_changes_nothing(api, alice, mia, rob, draft):
    api.force_authenticate(alice)
    bad = api.patch(f"/api/lots/{draft.pk}/", {"quantity": 1}, format="json")
    assert bad.status_code == 400 and "lists 2 packs" in bad.data["quantity"][0]
    over = api.post(
        f"/api/lots/{draft.pk}/packs/",
        {"packs": [{"serial": f"N-{i}"} for i in range(5)]},
        format="json",
    )
    assert over.status_code == 400 and "Raise the quantity first" in over.data["packs"][0]
    api.force_authenticate(rob)
    assert api.patch(f"/api/lots/{draft.pk}/", {"location": "X"}, format="json").status_code == 404
    api.force_authenticate(mia)
    assert api.post(f"/api/lots/{draft.pk}/submit/").status_code == 400
    draft.refresh_from_db()
    assert (draft.location, draft.status, serials(draft)) == ("Leeds, GB", "draft", ["W-1", "W-2"])


def test_the_api_recalls_a_submitted_lot(api, alice, draft):
    Lot.objects.filter(pk=draft.pk).update(status=LotStatus.SUBMITTED)
    api.force_authenticate(alice)
    response = api.post(f"/api/lots/{draft.pk}/recall/", {"reason": "typo"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "draft"


# --- pack models ------------------------------------------------------------------------


def model_data(**overrides):
    data = {
        "manufacturer": "BYD",
        "model": "Blade 48",
        "chemistry": "LFP",
        "nominal_voltage_v": "51.2",
        "nominal_capacity_ah": "100",
        "nominal_energy_kwh": "5.12",
        "cells_series": "16",
        "cells_parallel": "1",
    }
    data.update(overrides)
    return data


def test_a_proposed_model_is_its_organisations_until_approved(client, api, alice, rob, audrey):
    client.force_login(alice)
    response = client.post("/supplier/pack-models/new/", model_data())
    assert response.status_code == 302
    proposal = PackModel.objects.get(model="Blade 48")
    assert proposal.proposed_by.slug == "volta" and not proposal.is_approved
    assert b"Blade 48" in client.get("/supplier/pack-models/").content
    assert b"Blade 48" in client.get("/supplier/lots/new/").content
    client.force_login(rob)
    assert b"Blade 48" not in client.get("/supplier/pack-models/").content
    assert b"Blade 48" not in client.get("/supplier/lots/new/").content
    api.force_authenticate(rob)
    assert api.get(f"/api/pack-models/{proposal.pk}/").status_code == 404
    api.force_authenticate(audrey)
    approved = api.post(
        f"/api/pack-models/{proposal.pk}/approve/", {"note": "BYD datasheet"}, format="json"
    )
    assert approved.status_code == 200
    api.force_authenticate(rob)
    assert api.get(f"/api/pack-models/{proposal.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"nominal_voltage_v": "-51.2"}, "The nominal voltage must be above zero."),
        ({"nominal_energy_kwh": "6"}, "51.2 V x 100 Ah is 5.120 kWh, not 6 kWh"),
        ({"cells_series": "10"}, "5.12 V per cell; LFP cells are 3.0-3.4 V nominal"),
        ({"manufacturer": "catl", "model": "tb48100"}, "already exists"),
    ],
)
def test_a_bad_proposal_is_named_on_the_page_and_stored_nowhere(
    client, alice, lfp_telecom_pack, overrides, words
):
    client.force_login(alice)
    before = PackModel.objects.count()
    response = client.post("/supplier/pack-models/new/", model_data(**overrides))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert PackModel.objects.count() == before


def test_a_duplicate_of_another_organisations_proposal_says_it_awaits_approval(
    api, alice, rob, recell
):
    PackModelFactory(manufacturer="BYD", model="Blade 48", approved_at=None, proposed_by=recell)
    api.force_authenticate(alice)
    response = api.post("/api/pack-models/", model_data(model="BLADE 48"), format="json")
    assert response.status_code == 400
    assert "awaiting an auditor's approval" in response.data["model"][0]


def test_the_api_records_who_proposed(api, alice):
    api.force_authenticate(alice)
    response = api.post("/api/pack-models/", model_data(), format="json")
    assert response.status_code == 201
    assert response.data["approved"] is False
    assert response.data["proposed_by"] == PackModel.objects.get().proposed_by_id


@pytest.mark.parametrize("persona", ["bianca", "audrey"])
def test_only_suppliers_propose_in_the_web_app(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/supplier/pack-models/new/").status_code == 403
    assert client.post("/supplier/pack-models/new/", model_data()).status_code == 403
    assert not PackModel.objects.filter(model="Blade 48").exists()


def test_the_pack_model_page_has_a_fixed_query_count(
    client, alice, volta, django_assert_max_num_queries
):
    client.force_login(alice)
    for index in range(8):
        PackModelFactory(model=f"P-{index}", approved_at=None, proposed_by=volta)
        PackModelFactory(model=f"A-{index}")
    with django_assert_max_num_queries(6):
        assert client.get("/supplier/pack-models/").status_code == 200


def test_another_organisations_draft_is_not_found_by_its_actions(client, rob, draft):
    """Posting to another supplier's draft tells nothing of it: 404, as its page answers."""
    client.force_login(rob)
    for action in ("submit", "withdraw", "recall", "edit"):
        assert client.post(f"/lots/{draft.pk}/{action}/").status_code == 404, action
    draft.refresh_from_db()
    assert draft.status == "draft"
