"""A personal token acts for one organisation: through it, its user reaches that organisation's
drafts, packs, test data, documents and questions alone, though the same user on the web sees
every organisation they belong to."""

from decimal import Decimal

import pytest

from marketplace.history import document_upload
from suppliers.models import PackModel
from suppliers.selectors import lot_list_visible, memberships_of
from suppliers.services import pack_model_create
from tests.documents import pdf
from tests.factories import (
    LotFactory,
    MembershipFactory,
    OrganisationFactory,
    PackFactory,
    personal_token,
)


@pytest.fixture
def other(alice):
    """A second supplier Alice administers, with a draft lot, a pack and a private document."""
    organisation = OrganisationFactory(name="Alice Trading", slug="alice-trading")
    MembershipFactory(user=alice, organisation=organisation, role="admin")
    return organisation


@pytest.fixture
def other_draft(alice, other, lfp_telecom_pack):
    lot = LotFactory(supplier=other, pack_model=lfp_telecom_pack, status="draft", reference="AT-1")
    PackFactory(lot=lot, serial="AT-1-P1")
    return lot


@pytest.fixture
def other_document(alice, other_draft):
    return document_upload(
        user=alice, lot=other_draft, uploaded_file=pdf(), kind="safety_data_sheet"
    )


@pytest.fixture
def volta_token(api, alice, volta):
    api.credentials(HTTP_AUTHORIZATION=f"Token {personal_token(alice, organisation=volta)}")
    return api


def test_the_session_sees_both_organisations_and_the_token_only_its_own(
    api, alice, volta, other_draft, lfp_telecom_pack
):
    own = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft")
    api.force_authenticate(alice)
    on_the_web = {lot["reference"] for lot in api.get("/api/lots/").json()["results"]}
    assert {own.reference, "AT-1"} <= on_the_web
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {personal_token(alice, organisation=volta)}")
    through_token = {lot["reference"] for lot in api.get("/api/lots/").json()["results"]}
    assert own.reference in through_token
    assert "AT-1" not in through_token


def test_the_token_cannot_open_or_change_the_other_organisations_draft(volta_token, other_draft):
    pack = other_draft.packs.get()
    assert volta_token.get(f"/api/lots/{other_draft.pk}/").status_code == 404
    patched = volta_token.patch(f"/api/lots/{other_draft.pk}/", {"location": "Hull"}, format="json")
    assert patched.status_code == 404
    added = volta_token.post(
        f"/api/lots/{other_draft.pk}/packs/", {"packs": [{"serial": "AT-1-P2"}]}, format="json"
    )
    assert added.status_code == 404
    assert volta_token.post(f"/api/lots/{other_draft.pk}/submit/").status_code == 404
    assert volta_token.get(f"/api/lots/{other_draft.pk}/history/").status_code == 404
    assert volta_token.get(f"/api/packs/{pack.pk}/test-records/").status_code == 404
    other_draft.refresh_from_db()
    assert (other_draft.location, other_draft.status, other_draft.packs.count()) == (
        "Leeds, GB", "draft", 1,
    )  # fmt: skip


def test_the_token_cannot_download_the_other_organisations_document(
    api, alice, volta_token, other_document
):
    url = f"/api/documents/{other_document.pk}/download/"
    assert volta_token.get(url).status_code == 404
    api.credentials()
    api.force_authenticate(alice)
    assert api.get(url).status_code == 200


def test_the_token_lists_no_pack_model_the_other_organisation_proposed(api, alice, volta, other):
    pack_model_create(
        user=alice, supplier=other, manufacturer="Alice Cells", model="AC-48",
        chemistry="LFP", nominal_voltage_v=Decimal("51.2"), nominal_capacity_ah=Decimal("100"),
        nominal_energy_kwh=Decimal("5.12"), cells_series=16, cells_parallel=1,
    )  # fmt: skip
    api.credentials(HTTP_AUTHORIZATION=f"Token {personal_token(alice, organisation=volta)}")
    models = {m["model"] for m in api.get("/api/pack-models/").json()["results"]}
    assert "AC-48" not in models


def test_the_scope_is_answered_by_the_selectors_for_any_acting_user(alice, volta, other_draft):
    """The selectors honour the scope the token sets: the web view and the API ask them."""
    assert other_draft in lot_list_visible(user=alice)
    assert memberships_of(user=alice).count() == 2
    alice.acting_for_organisation_id = volta.pk
    assert other_draft not in lot_list_visible(user=alice)
    assert list(memberships_of(user=alice).values_list("organisation__slug", flat=True)) == [
        "volta"
    ]


def test_the_token_names_the_supplier_for_its_user_of_several(api, alice, volta, other):
    """On the web a user of two suppliers says which one; through a token, it is the token's."""
    body = {"manufacturer": "Volta Cells", "model": "VC-48", "chemistry": "LFP",
            "nominal_voltage_v": "51.2", "nominal_capacity_ah": "100",
            "nominal_energy_kwh": "5.12", "cells_series": 16, "cells_parallel": 1}  # fmt: skip
    api.force_authenticate(alice)
    refused = api.post("/api/pack-models/", body, format="json")
    assert refused.status_code == 400
    assert "say which one you propose pack models for" in str(refused.json())
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {personal_token(alice, organisation=volta)}")
    made = api.post("/api/pack-models/", body, format="json")
    assert made.status_code == 201, made.json()
    assert PackModel.objects.get(model="VC-48").proposed_by == volta
