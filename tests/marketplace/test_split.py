import pytest

from core.errors import ApplicationError
from marketplace.services import lot_split_by_route
from suppliers.models import Lot
from tests.factories import measured_lot


@pytest.fixture
def mixed(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    return measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[85.0, 82.0, 45.0],
        uploader=alice, callbacks=django_capture_on_commit_callbacks, reference="MIX",
    )  # fmt: skip


def test_split_moves_each_route_to_its_own_sub_lot(alice, mixed):
    assert mixed.summary.route == "small-application"  # routed on its weakest pack
    (sub_lot,) = lot_split_by_route(user=alice, lot=mixed)
    mixed.refresh_from_db()
    assert sub_lot.reference == "MIX-SMALL"
    assert sub_lot.parent == mixed
    assert sorted(mixed.packs.values_list("serial", flat=True)) == ["MIX-1", "MIX-2"]
    assert list(sub_lot.packs.values_list("serial", flat=True)) == ["MIX-3"]
    routes = (Lot.objects.get(pk=mixed.pk).summary.route, sub_lot.summary.route)
    assert routes == ("reuse-ESS", "small-application")
    assert sub_lot.status == mixed.status
    assert (mixed.quantity, sub_lot.quantity) == (2, 1)
    assert sub_lot.history.count() == mixed.history.count()
    assert sub_lot.packs.get().verifications.exists()


def test_a_lot_in_one_route_is_not_split(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[85.0, 82.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    with pytest.raises(ApplicationError, match="share one route"):
        lot_split_by_route(user=alice, lot=lot)
    assert Lot.objects.count() == 1


def test_another_supplier_cannot_split(rob, mixed):
    with pytest.raises(ApplicationError):
        lot_split_by_route(user=rob, lot=mixed)
    assert Lot.objects.count() == 1


def test_split_through_the_api(alice, mixed):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(alice)
    response = api.post(f"/api/lots/{mixed.pk}/split-by-route/")
    assert response.status_code == 201
    assert [lot["reference"] for lot in response.json()] == ["MIX-SMALL"]
    assert api.post(f"/api/lots/{mixed.pk}/split-by-route/").status_code == 400
