"""A pack's test charts at GET /packs/<pk>/charts/: an htmx fragment for the lot page, a page of
its own without JavaScript, for whoever may open the pack's lot (as its pack page)."""

import pytest

from marketplace import services
from suppliers.choices import LotStatus
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot

HTMX = {"HTTP_HX_REQUEST": "true"}
FRAGMENT_CAP = 6  # session, user, the pack within the lots the user may open, its run; roles


@pytest.fixture
def listed(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    return measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[88.0, 84.0],
        uploader=alice, callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip


@pytest.fixture
def draft_pack(rob, recell, lfp_telecom_pack, django_capture_on_commit_callbacks):
    """A measured pack of another supplier's draft lot."""
    lot = LotFactory(supplier=recell, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT)
    pack = PackFactory(lot=lot, claimed_soh_pct=85)
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(
            user=rob, pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=85, pack_model=lfp_telecom_pack),
        )  # fmt: skip
    return pack


def test_the_fragment_draws_both_charts_of_the_pack_s_latest_measurement(
    client, bianca, listed, django_assert_max_num_queries
):
    pack = listed.packs.order_by("serial").first()
    client.force_login(bianca)
    with django_assert_max_num_queries(FRAGMENT_CAP):
        response = client.get(f"/packs/{pack.pk}/charts/", **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # a fragment, swapped into the lot page
    assert f'Test of pack <a href="/packs/{pack.pk}/">{pack.serial}</a>' in body
    assert "Discharge capacity per cycle" in body and "Voltage vs capacity" in body
    assert body.count('role="img"') == 2 and "<script" not in body


def test_without_javascript_the_link_opens_a_page_of_its_own(client, bianca, listed):
    pack = listed.packs.first()
    client.force_login(bianca)
    body = client.get(f"/packs/{pack.pk}/charts/").content.decode()
    assert "<html" in body and f'href="/lots/{listed.pk}/"' in body
    assert "Discharge capacity per cycle" in body


def test_an_unmeasured_pack_says_there_is_nothing_to_chart(client, alice, volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT)
    pack = PackFactory(lot=lot)
    client.force_login(alice)
    response = client.get(f"/packs/{pack.pk}/charts/", **HTMX)
    assert response.status_code == 200
    assert "No complete capacity test measured this pack yet" in response.content.decode()


@pytest.mark.parametrize("persona", ["alice", "bianca"])
def test_another_supplier_s_draft_pack_is_not_found(request, client, draft_pack, persona):
    client.force_login(request.getfixturevalue(persona))
    for headers in ({}, HTMX):
        assert client.get(f"/packs/{draft_pack.pk}/charts/", **headers).status_code == 404
        assert client.get(f"/packs/{draft_pack.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["rob", "audrey"])
def test_its_supplier_and_the_auditors_see_a_draft_pack_s_charts(
    request, client, draft_pack, persona
):
    client.force_login(request.getfixturevalue(persona))
    body = client.get(f"/packs/{draft_pack.pk}/charts/", **HTMX).content.decode()
    assert "Discharge capacity per cycle" in body


def test_signed_out_visitors_are_sent_to_sign_in(client, listed):
    response = client.get(f"/packs/{listed.packs.first().pk}/charts/")
    assert response.status_code == 302 and "/login" in response["Location"]
