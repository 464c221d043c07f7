import copy
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from audit.models import AuditEntry
from audit.selectors import audit_chain_verify
from core.errors import ApplicationError
from passports.choices import PassportDirection
from passports.domain.battery_pass import NO_PREDECESSOR
from passports.models import PassportDocument
from passports.services import (
    PassportInvalid,
    passport_import,
    passport_issue,
    reuse_certificate_issue,
)
from suppliers.choices import HistoryEventKind, LotStatus
from suppliers.models import HistoryEvent, Lot, Pack
from tests.factories import LotFactory, PackFactory, PackModelFactory
from tests.passports.scenarios import (
    assert_valid,
    example,
    for_another_pack,
    measure,
    row_counts,
    with_changes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured_pack(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, quantity=1, reference="V-1")
    pack = PackFactory(lot=lot, serial="VOLTA-0001", claimed_soh_pct=Decimal("84"), cycle_count=900)
    measure(
        user=alice,
        pack=pack,
        soh=84.0,
        resistance_mohm=40.0,
        callbacks=django_capture_on_commit_callbacks,
    )
    return Pack.objects.select_related("lot__pack_model", "lot__summary").get(pk=pack.pk)


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    return LotFactory(
        supplier=volta,
        pack_model=lfp_telecom_pack,
        status=LotStatus.DRAFT,
        reference="V-DRAFT",
        quantity=2,
    )


def test_a_measured_pack_exports_its_measured_figures(alice, measured_pack):
    document = passport_issue(user=alice, pack=measured_pack).document
    assert_valid(document)
    run = measured_pack.verifications.get()
    m = run.measurement
    dynamic = document["performance"]["dynamic"]
    assert dynamic["capacity"]["capacity"]["value"] == round(m.discharge_capacity_ah, 3)
    fade = 100 * (1 - m.discharge_capacity_ah / m.nominal_capacity_ah)
    assert dynamic["capacity"]["fade"]["value"] == pytest.approx(fade, abs=0.01)
    assert dynamic["capacity"]["fade"]["value"] == pytest.approx(
        100 - run.measured_soh_pct, abs=0.01
    )
    assert dynamic["resistance"]["increase"]["pack"]["value"] == pytest.approx(
        100 * (m.resistance_ratio - 1), abs=0.01
    )
    assert dynamic["fullCycles"]["value"] == 900
    assert document["identification"]["identification"]["serial"] == [
        {"key": "partInstanceId", "value": "VOLTA-0001"}
    ]
    assert document["identification"]["chemistry"] == "Lithium Iron Phosphate (LFP)"
    assert document["performance"]["rated"]["capacity"]["value"] == 100.0
    assert document["operation"]["manufacturer"]["manufacturingDate"] == "2018-01-01"
    assert document["sustainability"]["status"] == "original"
    assert document["sources"][0]["content"].endswith(f"/packs/{measured_pack.pk}/")


def test_an_unmeasured_pack_exports_no_invented_figure(alice, draft):
    pack = PackFactory(lot=draft, serial="VOLTA-0002")  # no cycle count declared either
    document = passport_issue(user=alice, pack=pack).document
    missing = assert_valid(document)
    assert document["performance"]["dynamic"] == {}
    assert {"performance.dynamic.capacity", "performance.dynamic.fullCycles"} <= missing
    assert "sources" not in document
    text = json.dumps(document)
    for word in ("fade", "increase", "soce", "stateOfCharge"):
        assert word not in text


def test_the_same_facts_give_the_same_passport_and_new_facts_name_it(alice, draft):
    pack = PackFactory(lot=draft, serial="VOLTA-0003", cycle_count=10)
    first = passport_issue(user=alice, pack=pack)
    assert passport_issue(user=alice, pack=pack).pk == first.pk
    assert first.document["metadata"]["predecessor"] == NO_PREDECESSOR
    Pack.objects.filter(pk=pack.pk).update(cycle_count=20)
    pack.refresh_from_db()
    second = passport_issue(user=alice, pack=pack)
    assert second.pk != first.pk
    assert second.document["metadata"]["predecessor"] == first.passport_identifier
    assert second.document["metadata"]["version"] == "2.0.0"
    assert audit_chain_verify().ok


def test_round_trip_export_then_import_into_a_new_draft_lot(alice, recell, rob, measured_pack):
    document = passport_issue(user=alice, pack=measured_pack).document
    # The pack leaves the platform (its lot withdrawn) and ReCell lists it from its passport.
    Lot.objects.filter(pk=measured_pack.lot_id).update(status=LotStatus.WITHDRAWN)
    Pack.objects.filter(pk=measured_pack.pk).update(live=False)
    result = passport_import(user=rob, supplier=recell, document=json.dumps(document))
    assert result.pack_created and result.lot_created and not result.pack_model_proposed
    pack, lot = result.pack, result.lot
    assert lot.supplier == recell and lot.status == LotStatus.DRAFT
    assert lot.pack_model == measured_pack.lot.pack_model
    assert pack.serial == "VOLTA-0001"
    soh = document["performance"]["dynamic"]["capacity"]["capacity"]["value"]
    assert pack.claimed_soh_pct == Decimal(str(soh)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert pack.cycle_count == 900
    made = lot.history.get(kind=HistoryEventKind.MANUFACTURED)
    assert made.occurred_on == date(2018, 1, 1)
    # Its next passport names the one it came with.
    again = passport_issue(user=rob, pack=pack).document
    assert again["metadata"]["predecessor"] == document["metadata"]["passportIdentifier"]
    assert again["performance"]["dynamic"]["fullCycles"]["value"] == 900


def test_import_updates_a_pack_of_the_suppliers_draft(alice, volta, draft):
    pack = PackFactory(lot=draft, serial="VOLTA-0004", claimed_soh_pct=Decimal("70"))
    document = passport_issue(user=alice, pack=pack).document
    document = with_changes(
        document,
        performance__dynamic__capacity={
            "capacity": {"value": 81.5, "time": "2025-05-01T00:00:00Z"},
            "fade": {"value": 18.5, "time": "2025-05-01T00:00:00Z"},
        },
        performance__dynamic__fullCycles={"value": 1234, "time": "2025-05-01T00:00:00Z"},
        operation__manufacturer={"facility": [], "manufacturingDate": "2019-03-04"},
    )
    result = passport_import(user=alice, supplier=volta, document=document)
    assert not result.pack_created and result.lot == draft
    pack.refresh_from_db()
    assert (pack.claimed_soh_pct, pack.cycle_count) == (Decimal("81.50"), 1234)
    own = HistoryEvent.objects.get(pack=pack, kind=HistoryEventKind.MANUFACTURED)
    assert own.occurred_on == date(2019, 3, 4)
    again = passport_import(user=alice, supplier=volta, document=document)
    assert HistoryEvent.objects.filter(pack=pack).count() == 1
    assert again.record.direction == PassportDirection.IMPORT


def test_the_published_example_imports_with_a_known_pack_model(volta, alice, draft):
    PackModelFactory(
        manufacturer="Example Cells",
        model="123-0.740-3434-A",
        chemistry="NMC",
        nominal_voltage_v="3.7",
        nominal_capacity_ah="4",
        nominal_energy_kwh="0.015",
        cells_series=1,
    )
    result = passport_import(user=alice, supplier=volta, document=example())
    assert result.pack.serial == "SN12345678"
    assert result.pack.cycle_count == 1500
    assert result.lot.pack_model.model == "123-0.740-3434-A"
    assert result.warnings == [
        "operation.intoServiceDate: 7172-75-08 is not a real date. (not imported)"
    ]
    record = PassportDocument.objects.get(direction=PassportDirection.IMPORT)
    assert record.passport_identifier == "urn:uuid:550e8400-e29b-41d4-a716-446655440000"
    assert record.predecessor_identifier == ""  # the example's predecessor is the nil UUID


def test_an_unknown_model_is_proposed_for_the_supplier(alice, volta, lfp_telecom_pack):
    pack = PackFactory(lot__supplier=volta, lot__pack_model=lfp_telecom_pack, serial="X")
    document = passport_issue(user=alice, pack=pack).document
    Pack.objects.filter(pk=pack.pk).update(live=False)
    document["identification"]["identification"]["type"] = {
        "manufacturerPartId": "TB51-NEW",
        "nameAtManufacturer": "Acme Power TB51-NEW",
    }
    document["performance"]["dynamic"] = {
        "capacity": {"capacity": {"value": 90, "time": "2025-01-01T00:00:00Z"}}
    }
    result = passport_import(user=alice, supplier=volta, document=document)
    model = result.lot.pack_model
    assert result.pack_model_proposed
    assert (model.manufacturer, model.model, model.cells_series) == ("Acme Power", "TB51-NEW", 16)
    assert model.proposed_by == volta and not model.is_approved
    assert result.pack.claimed_soh_pct == Decimal("90.00")


def test_another_suppliers_proposal_is_not_found(rob, recell, alice, volta):
    PackModelFactory(manufacturer="Acme", model="P1", approved_at=None, proposed_by=recell)
    document = passport_issue(
        user=alice, pack=PackFactory(lot__supplier=volta, serial="Y")
    ).document
    Pack.objects.filter(serial="Y").update(live=False)
    document["identification"]["identification"]["type"] = {
        "manufacturerPartId": "P1",
        "nameAtManufacturer": "acme P1",
    }
    document["performance"]["dynamic"] = {
        "capacity": {"capacity": {"value": 90, "time": "2025-01-01T00:00:00Z"}}
    }
    before = row_counts()
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=alice, supplier=volta, document=document)
    assert "already exists" in refused.value.problems[0].message
    assert row_counts() == before


MALFORMED = {
    "bad JSON": b'{"specVersion": ',
    "schema errors": json.dumps(
        with_changes(example(), sustainability__status="new", metadata__passportIdentifier="42")
    ),
    "date in the future": json.dumps(
        with_changes(
            example(), operation__manufacturer={"facility": [], "manufacturingDate": "2999-01-01"}
        )
    ),
    "fade 140 %": json.dumps(
        with_changes(
            example(),
            performance__dynamic__capacity={
                "fade": {"value": 140.0, "time": "2023-01-01T00:00:00Z"},
                "throughput": {"value": 1.0, "time": "2023-01-01T00:00:00Z"},
            },
        )
    ),
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_document_changes_nothing(alice, volta, draft, raw):
    PackModelFactory(
        manufacturer="Example Cells",
        model="123-0.740-3434-A",
        chemistry="NMC",
        nominal_voltage_v="3.7",
        nominal_capacity_ah="4",
        nominal_energy_kwh="0.015",
        cells_series=1,
    )
    PackFactory(lot=draft, serial="SN12345678", cycle_count=5)
    before = row_counts()
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=alice, supplier=volta, document=raw, lot_reference="V-DRAFT")
    assert refused.value.problems and all(p.message for p in refused.value.problems)
    assert row_counts() == before
    assert Pack.objects.get(serial="SN12345678").cycle_count == 5


def test_a_failure_after_writes_began_rolls_everything_back(alice, volta, draft):
    """The removal recorded for the lot is before the passport's manufacture date: the check
    fails after the pack was written."""
    HistoryEvent.objects.filter(lot=draft, kind=HistoryEventKind.REMOVED).update(
        occurred_on=date(2010, 1, 1)
    )
    document = passport_issue(user=alice, pack=PackFactory(lot=draft, serial="Z-1")).document
    document = for_another_pack(document, "Z-2")
    document["operation"]["manufacturer"]["manufacturingDate"] = "2015-01-01"
    before = row_counts()
    with pytest.raises(PassportInvalid, match="1 problem") as refused:
        passport_import(user=alice, supplier=volta, document=document, lot_reference="V-DRAFT")
    assert "before the packs were made" in refused.value.problems[0].message
    assert row_counts() == before


def test_rob_cannot_import_into_voltas_draft_nor_take_its_pack(rob, recell, volta, alice, draft):
    pack = PackFactory(lot=draft, serial="VOLTA-0005")
    document = passport_issue(user=alice, pack=pack).document
    before = row_counts()
    with pytest.raises(PassportInvalid, match="not imported"):
        passport_import(user=rob, supplier=volta, document=document)
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=rob, supplier=recell, document=document, lot_reference="V-DRAFT")
    assert "ReCell Dismantling has no lot" in refused.value.problems[0].message
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=rob, supplier=recell, document=document)
    assert "already listed by another organisation" in refused.value.problems[0].message
    assert row_counts() == before


def test_one_passport_describes_one_pack(alice, rob, volta, recell, draft):
    """The same passport for a pack of another serial is refused, whoever imports it; the
    pack itself may come back with it."""
    pack = PackFactory(lot=draft, serial="ONE-1")
    document = passport_issue(user=alice, pack=pack).document
    copied = copy.deepcopy(document)
    copied["identification"]["identification"]["serial"][0]["value"] = "ONE-2"
    before = row_counts()
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=alice, supplier=volta, document=copied, lot_reference="V-DRAFT")
    assert refused.value.problems[0].path == "metadata.passportIdentifier"
    assert "already the passport of pack ONE-1 (lot V-DRAFT)" in refused.value.problems[0].message
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=rob, supplier=recell, document=copied)
    assert "already the passport of a pack of another organisation" in str(
        refused.value.problems[0]
    )
    assert row_counts() == before
    again = passport_import(user=alice, supplier=volta, document=document)
    assert again.pack == pack and not again.pack_created


def test_only_a_draft_lot_gains_packs(alice, volta, lfp_telecom_pack):
    LotFactory(supplier=volta, pack_model=lfp_telecom_pack, reference="SUB")  # submitted
    document = passport_issue(
        user=alice, pack=PackFactory(lot__supplier=volta, lot__pack_model=lfp_telecom_pack)
    ).document
    document["identification"]["identification"]["serial"][0]["value"] = "NEW-1"
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=alice, supplier=volta, document=document, lot_reference="SUB")
    assert "only a draft lot gains or changes packs" in refused.value.problems[0].message


def test_a_pack_added_to_a_full_draft_grows_its_quantity(alice, volta, draft):
    PackFactory(lot=draft, serial="D-1")
    PackFactory(lot=draft, serial="D-2")
    document = passport_issue(user=alice, pack=Pack.objects.get(serial="D-1")).document
    document = for_another_pack(document, "D-3")
    result = passport_import(user=alice, supplier=volta, document=document, lot_reference="V-DRAFT")
    assert result.pack_created and not result.lot_created
    draft.refresh_from_db()
    assert (draft.quantity, draft.packs.count()) == (3, 3)
    entry = AuditEntry.objects.get(action="passport.import")
    assert (entry.before, entry.after["lot_quantity"]) == ({"lot_quantity": 2}, 3)


def test_reuse_certificate_only_for_a_pack_sold_for_reuse(alice, volta, lfp_telecom_pack):
    sold = LotFactory(
        supplier=volta,
        pack_model=lfp_telecom_pack,
        status=LotStatus.SOLD,
        summary__route="reuse-ESS",
        summary__route_provisional=False,
    )
    pack = PackFactory(lot=sold, serial="SOLD-1")
    record = reuse_certificate_issue(user=alice, pack=pack)
    certificate = record.document["certificate"]
    assert certificate["originalEquipmentNumber"] == lfp_telecom_pack.model
    assert record.document["partInstanceId"] == [{"key": "partInstanceId", "value": "SOLD-1"}]
    assert reuse_certificate_issue(user=alice, pack=pack).pk == record.pk
    assert passport_issue(user=alice, pack=pack).document["sustainability"]["status"] == (
        "repurposed"
    )
    listed = PackFactory(
        lot__supplier=volta, lot__status=LotStatus.LISTED, lot__summary__route="reuse-ESS"
    )
    recycled = PackFactory(
        lot__supplier=volta,
        lot__status=LotStatus.SOLD,
        lot__summary__route="recycle",
        lot__summary__route_provisional=False,
    )
    for pack in (listed, recycled):
        with pytest.raises(ApplicationError, match="only for a pack sold for reuse"):
            reuse_certificate_issue(user=alice, pack=pack)
    assert passport_issue(user=alice, pack=recycled).document["sustainability"]["status"] == "waste"


def test_a_passport_imports_into_a_draft_whose_history_holds_a_custody_transfer(
    alice, volta, draft
):
    HistoryEvent.objects.create(lot=draft, kind=HistoryEventKind.CUSTODY_TRANSFER,
                                occurred_on=date(2023, 6, 1), custody_from="Nobody Ltd",
                                custody_to="Volta Fleet Services")  # fmt: skip
    document = passport_issue(user=alice, pack=PackFactory(lot=draft, serial="CT-1")).document
    document = for_another_pack(document, "CT-2")
    document["operation"]["manufacturer"]["manufacturingDate"] = "2019-03-04"
    result = passport_import(user=alice, supplier=volta, document=document, lot_reference="V-DRAFT")
    own = HistoryEvent.objects.get(pack=result.pack, kind=HistoryEventKind.MANUFACTURED)
    assert own.occurred_on == date(2019, 3, 4)
    # A date the lot's history contradicts is still refused, naming why.
    late = for_another_pack(document, "CT-3")
    late["operation"]["manufacturer"]["manufacturingDate"] = "2024-01-01"
    with pytest.raises(PassportInvalid) as refused:
        passport_import(user=alice, supplier=volta, document=late, lot_reference="V-DRAFT")
    assert "before the packs were made (2024-01-01)" in refused.value.problems[0].message
