import re

import pytest

from marketplace import services
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.admin import SupplierListFilter


@pytest.fixture
def discrepancy(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=92, reference="CLAIM-92"
    )
    pack = PackFactory(lot=lot, serial="OVERCLAIMED-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=75, pack_model=lfp_telecom_pack),
        )
    return pack


def test_auditor_sees_the_discrepancy_queue(client, audrey, discrepancy):
    client.force_login(audrey)
    response = client.get("/admin/verification/discrepancyclaim/")
    assert response.status_code == 200
    assert b"OVERCLAIMED-1" in response.content
    assert b"CLAIM-92" in response.content


def test_suppliers_do_not_reach_the_admin(client, alice, discrepancy):
    client.force_login(alice)
    response = client.get("/admin/verification/discrepancyclaim/")
    assert response.status_code == 302


def test_duplicate_evidence_is_queued_with_links_to_each_other(
    client, audrey, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=2)
    first, second = PackFactory(lot=lot, serial="TWIN-1"), PackFactory(lot=lot, serial="TWIN-2")
    for pack in (first, second):
        with django_capture_on_commit_callbacks(execute=True):
            services.test_data_upload(
                user=alice,
                pack=pack,
                uploaded_file=capacity_test_upload(soh_pct=84, pack_model=lfp_telecom_pack),
            )
    client.force_login(audrey)
    page = client.get("/admin/verification/discrepancyclaim/").content.decode()
    assert page.count("Duplicate evidence") >= 2
    assert "pack TWIN-1 (lot" in page and "pack TWIN-2 (lot" in page
    assert "/admin/verification/verification/" in page


def test_the_claims_changelist_offers_no_delete(client, audrey, discrepancy):
    client.force_login(audrey)
    response = client.get("/admin/verification/discrepancyclaim/")
    assert "delete_selected" not in response.context["cl"].model_admin.get_actions(
        response.wsgi_request
    )
    assert b"Delete selected" not in response.content


def test_the_claims_changelist_rounds_its_figures(client, audrey, discrepancy):
    client.force_login(audrey)
    page = client.get("/admin/verification/discrepancyclaim/").content.decode()
    assert "75.0 %" in page and "92.0 %" in page and "-17.0 points" in page
    results = page[page.index('id="result_list"') : page.index("</table>")]
    assert not re.search(r"\d\.\d{3,}", results)  # no raw floats such as 4.544013222808182


def test_the_claims_changelist_shows_only_each_packs_latest_run(
    client, audrey, alice, discrepancy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(
            user=alice,
            pack=discrepancy,
            uploaded_file=capacity_test_upload(
                soh_pct=60, pack_model=discrepancy.lot.pack_model, seed=4
            ),
        )
    client.force_login(audrey)
    response = client.get("/admin/verification/discrepancyclaim/")
    runs = list(response.context["cl"].result_list)
    assert len(runs) == 1
    assert round(runs[0].measured_soh_pct) == 60


def test_the_claims_supplier_filter_lists_suppliers_only(
    client, audrey, discrepancy, bianca, recell
):
    client.force_login(audrey)
    response = client.get("/admin/verification/discrepancyclaim/")
    [supplier_filter] = [
        f for f in response.context["cl"].filter_specs if isinstance(f, SupplierListFilter)
    ]
    names = [name for _, name in supplier_filter.lookup_choices]
    assert "Volta Fleet Services" in names and "ReCell Dismantling" in names
    assert "TowerGrid" not in names
