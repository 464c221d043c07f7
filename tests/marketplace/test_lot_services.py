from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from core.errors import ApplicationError
from marketplace.services import lot_create, lot_submit
from suppliers.choices import LOCATION_NOT_STATED, LotStatus
from suppliers.models import Lot


def create(user, supplier, pack_model, **overrides):
    fields = {
        "user": user,
        "supplier": supplier,
        "pack_model": pack_model,
        "reference": "VFS-1",
        "location": "Leeds",
        "quantity": 4,
        "claimed_soh_pct": Decimal("85"),
        "price_per_kwh": Decimal("90"),
        "packs": [{"serial": "A1"}, {"serial": "A2"}],
    }
    fields.update(overrides)
    return lot_create(**fields)


def test_alice_creates_a_draft_lot_with_packs(alice, volta, lfp_telecom_pack):
    lot = create(alice, volta, lfp_telecom_pack)
    assert lot.status == LotStatus.DRAFT
    assert sorted(lot.packs.values_list("serial", flat=True)) == ["A1", "A2"]


def test_alice_cannot_list_for_another_supplier(alice, recell, lfp_telecom_pack):
    with pytest.raises(ApplicationError, match="your own supplier"):
        create(alice, recell, lfp_telecom_pack)
    assert not Lot.objects.exists()


@pytest.mark.parametrize(
    ("packs", "message"),
    [
        ([], "at least one pack"),
        ([{"serial": "A"}, {"serial": "A"}], "its own serial"),
        ([{"serial": str(i)} for i in range(5)], "quantity is 4"),
    ],
)
def test_lot_create_refuses_bad_packs_and_stores_nothing(
    alice, volta, lfp_telecom_pack, packs, message
):
    with pytest.raises(ApplicationError, match=message):
        create(alice, volta, lfp_telecom_pack, packs=packs)
    assert not Lot.objects.exists()


def test_duplicate_reference_is_a_field_error(alice, volta, lfp_telecom_pack):
    create(alice, volta, lfp_telecom_pack)
    with pytest.raises(ApplicationError) as excinfo:
        create(alice, volta, lfp_telecom_pack)
    assert excinfo.value.field == "reference"
    assert Lot.objects.count() == 1


def test_submit_moves_draft_to_submitted_with_a_provisional_route(alice, volta, lfp_telecom_pack):
    lot = create(alice, volta, lfp_telecom_pack, history=[])
    lot = lot_submit(user=alice, lot=lot)
    assert lot.status == LotStatus.SUBMITTED
    # No recorded history: IEC 63338 holds the lot, provisionally, until it is documented.
    assert lot.summary.route == "hold"
    assert lot.summary.route_provisional is True
    with pytest.raises(ApplicationError, match="Only a draft"):
        lot_submit(user=alice, lot=lot)


def test_rob_cannot_submit_alices_lot(alice, rob, volta, lfp_telecom_pack):
    lot = create(alice, volta, lfp_telecom_pack)
    with pytest.raises(ApplicationError):
        lot_submit(user=rob, lot=lot)
    lot.refresh_from_db()
    assert lot.status == LotStatus.DRAFT


def test_the_trail_records_the_history_a_lot_was_listed_with(alice, volta, lfp_telecom_pack):
    history = [
        {"kind": "manufactured", "occurred_on": date(2018, 4, 1)},
        {"kind": "removed", "occurred_on": date(2025, 6, 1), "vin": "5yj3e1ea7kf317000"},
    ]
    lot = create(alice, volta, lfp_telecom_pack, history=history)
    entry = AuditEntry.objects.get(action="lot.create", object_id=str(lot.pk))
    assert [(e["kind"], e["occurred_on"], e["vin"]) for e in entry.after["history"]] == [
        ("manufactured", "2018-04-01", ""),
        ("removed", "2025-06-01", "5YJ3E1EA7KF317000"),
    ]


@pytest.mark.parametrize(
    ("changes", "named"),
    [({"price_per_kwh": Decimal("0")}, "its asking price per kWh"),
     ({"location": LOCATION_NOT_STATED}, "where the packs are"),
     ({"location": " ", "price_per_kwh": Decimal("0")},
      "its asking price per kWh and where the packs are")],
)  # fmt: skip
def test_a_lot_is_submitted_with_its_price_and_location(
    alice, volta, lfp_telecom_pack, changes, named
):
    lot = create(alice, volta, lfp_telecom_pack)
    Lot.objects.filter(pk=lot.pk).update(**changes)
    with pytest.raises(ApplicationError, match=f"set {named} first"):
        lot_submit(user=alice, lot=lot)
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.DRAFT
