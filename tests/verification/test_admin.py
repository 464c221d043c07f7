import pytest

from marketplace import services
from tests.factories import LotFactory, PackFactory, capacity_test_upload


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
