"""The supplier's dashboard: its own lots by status and progress against the sampling plan,
the auditors' open questions, its score with advice; nobody else's."""

import re

import pytest

from reviews.services import supplier_request_create
from suppliers.choices import LotStatus
from tests.factories import LotFactory, PackFactory, PackModelFactory


@pytest.fixture
def lots(volta, recell, lfp_telecom_pack):
    ours = [
        LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT,
                   reference="V-DRAFT"),
        LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.VERIFYING,
                   reference="V-VERIFYING", summary__packs_measured=1,
                   summary__sample_size_required=3),
        LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.WITHDRAWN,
                   reference="V-GONE"),
    ]  # fmt: skip
    LotFactory(supplier=recell, status=LotStatus.DRAFT, reference="R-SECRET")
    return ours


def test_the_dashboard_shows_lots_by_status_progress_questions_and_score(
    client, alice, audrey, lots, volta
):
    supplier_request_create(
        user=audrey, lot_id=lots[1].pk, kind="question", text="Which cycler ran the test?"
    )
    PackModelFactory(model="PROPOSED-1", approved_at=None, proposed_by=volta)
    client.force_login(alice)
    body = client.get("/supplier/").content.decode()
    assert "Draft: 1" in body and "Verifying: 1" in body and "Withdrawn: 1" in body
    assert "Listed: 0" in body
    assert "1 of the plan's 3 measured" in body and "needs 2 more" in body
    assert 'aria-label="1 of 3 packs measured"' in body
    assert "V-GONE" not in body.split('id="verification-progress"')[1].split("</section>")[0]
    assert "Open questions and requests from the auditors (1)" in body
    assert "Question on lot V-VERIFYING" in body
    assert "1 pack model proposal awaiting" in body
    assert re.search(r"Supply-quality score: Volta Fleet Services", body)
    assert "What would raise it" in body
    assert "R-SECRET" not in body


def test_a_supplier_lands_on_its_dashboard(client, alice):
    client.force_login(alice)
    assert client.get("/")["Location"] == "/supplier/"


@pytest.mark.parametrize("persona", ["bianca", "audrey"])
def test_the_dashboard_is_for_suppliers(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/supplier/").status_code == 403


def test_anonymous_visitors_sign_in_first(client):
    response = client.get("/supplier/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_lot_list_filters_by_status_and_says_when_a_status_is_unknown(client, alice, lots):
    client.force_login(alice)
    drafts = client.get("/supplier/lots/", {"status": "draft"}).content.decode()
    assert "V-DRAFT" in drafts and "V-VERIFYING" not in drafts
    unknown = client.get("/supplier/lots/", {"status": "nonsense"}, follow=True).content.decode()
    assert "No lot status" in unknown and "V-VERIFYING" in unknown


def test_the_dashboard_has_a_fixed_query_count(
    client, alice, audrey, volta, lfp_telecom_pack, django_assert_max_num_queries
):
    client.force_login(alice)
    # 17 with the scorecard recomputed because the lots changed (5 and an upsert), whatever
    # the number of lots and questions.
    with django_assert_max_num_queries(17):
        assert client.get("/supplier/").status_code == 200
    for index in range(12):
        lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, reference=f"Q-{index}")
        PackFactory(lot=lot)
        supplier_request_create(user=audrey, lot_id=lot.pk, kind="question", text="Why?")
    with django_assert_max_num_queries(17):
        assert client.get("/supplier/").status_code == 200
