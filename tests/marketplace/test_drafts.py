"""A supplier corrects a draft: its fields, packs added in growing rows and removed, a submitted
lot recalled to draft. Every change is in the trail; nothing changes after a refusal; members
prepare, administrators commit."""

from decimal import Decimal

import pytest
from django.db.models import ProtectedError

from audit.models import AuditEntry
from core.errors import ApplicationError
from marketplace import services
from marketplace.history import document_upload
from marketplace.services import (
    lot_draft_save,
    lot_packs_add,
    lot_packs_remove,
    lot_recall,
    lot_submit,
    lot_update,
    lot_withdraw,
)
from suppliers.choices import LotStatus
from suppliers.models import Document, Lot, Pack
from tests.documents import pdf
from tests.factories import LotFactory, PackFactory, PackModelFactory, capacity_test_upload
from verification.models import TestRecord


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, quantity=4,
        reference="DRAFT-1",
    )  # fmt: skip
    PackFactory(lot=lot, serial="D-1")
    PackFactory(lot=lot, serial="D-2")
    return lot


def snapshot(lot):
    lot = Lot.objects.get(pk=lot.pk)
    return (
        lot.reference,
        lot.quantity,
        lot.claimed_soh_pct,
        lot.status,
        sorted(lot.packs.values_list("serial", flat=True)),
        AuditEntry.objects.count(),
    )


# --- services ---------------------------------------------------------------------------


def test_a_draft_is_edited_with_the_change_in_its_trail(alice, draft):
    lot_update(user=alice, lot=draft, claimed_soh_pct=Decimal("82"), location="York")
    draft.refresh_from_db()
    assert (draft.claimed_soh_pct, draft.location) == (Decimal("82"), "York")
    entry = AuditEntry.objects.get(action="lot.update")
    assert entry.scope == f"lot:{draft.pk}"
    assert entry.before == {"claimed_soh_pct": "85.00", "location": "Leeds, GB"}
    assert entry.after == {"claimed_soh_pct": "82", "location": "York"}


def test_an_unchanged_save_leaves_no_entry(alice, draft):
    lot_update(user=alice, lot=draft, location=draft.location)
    assert not AuditEntry.objects.filter(action="lot.update").exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"quantity": 1}, "quantity", "lists 2 packs"),
        ({"reference": "TAKEN"}, "reference", "already has a lot with reference 'TAKEN'"),
        ({"reference": "  "}, "reference", "needs a reference"),
    ],
)
def test_a_bad_edit_is_refused_on_its_field_and_changes_nothing(
    alice, draft, volta, changes, field, words
):
    LotFactory(supplier=volta, reference="TAKEN")
    before = snapshot(draft)
    with pytest.raises(ApplicationError) as refused:
        lot_update(user=alice, lot=draft, **changes)
    assert refused.value.field == field
    assert words in refused.value.message
    assert snapshot(draft) == before


def test_another_organisations_unapproved_proposal_cannot_be_chosen(alice, draft, recell):
    theirs = PackModelFactory(model="THEIRS-1", approved_at=None, proposed_by=recell)
    with pytest.raises(ApplicationError, match="another organisation's proposal"):
        lot_update(user=alice, lot=draft, pack_model=theirs)
    ours = PackModelFactory(model="OURS-1", approved_at=None, proposed_by=draft.supplier)
    lot_update(user=alice, lot=draft, pack_model=ours)
    assert Lot.objects.get(pk=draft.pk).pack_model == ours


@pytest.mark.parametrize("status", ["submitted", "verifying", "listed", "withdrawn"])
def test_after_submission_a_lot_is_not_edited(alice, draft, status):
    Lot.objects.filter(pk=draft.pk).update(status=status)
    draft.refresh_from_db()
    before = snapshot(draft)
    for change in (
        lambda: lot_update(user=alice, lot=draft, location="York"),
        lambda: lot_packs_add(user=alice, lot=draft, packs=[{"serial": "NEW-1"}]),
        lambda: lot_packs_remove(user=alice, lot=draft, pack_ids=[draft.packs.first().pk]),
    ):
        with pytest.raises(ApplicationError, match="only a draft is edited"):
            change()
    assert snapshot(draft) == before


def test_another_supplier_cannot_change_a_draft(rob, draft):
    before = snapshot(draft)
    with pytest.raises(ApplicationError, match="Only the supplier"):
        lot_update(user=rob, lot=draft, location="York")
    with pytest.raises(ApplicationError, match="Only the supplier"):
        lot_packs_add(user=rob, lot=draft, packs=[{"serial": "NEW-1"}])
    assert snapshot(draft) == before


def test_packs_are_added_within_the_quantity(alice, draft):
    lot_packs_add(user=alice, lot=draft, packs=[{"serial": "D-3", "cycle_count": 900}])
    assert draft.packs.get(serial="D-3").cycle_count == 900
    assert AuditEntry.objects.get(action="lot.packs_add").after == {"packs": ["D-3"]}
    before = snapshot(draft)
    with pytest.raises(ApplicationError) as refused:
        lot_packs_add(user=alice, lot=draft, packs=[{"serial": "D-4"}, {"serial": "D-5"}])
    assert "quantity is 4 and it lists 3 packs: 2 more would make 5" in refused.value.message
    assert snapshot(draft) == before


@pytest.mark.parametrize(
    ("serials", "words"),
    [
        (["d-1"], "repeated: D-1"),
        (["N-1", "n-1"], "repeated: N-1"),
        ([""], "needs a serial"),
        (["LIVE-1"], "already listed by another organisation"),
    ],
)
def test_added_packs_need_their_own_free_serials(alice, rob, draft, recell, serials, words):
    PackFactory(lot=LotFactory(supplier=recell), serial="LIVE-1")
    before = snapshot(draft)
    with pytest.raises(ApplicationError, match=words):
        lot_packs_add(user=alice, lot=draft, packs=[{"serial": s} for s in serials])
    assert snapshot(draft) == before


def test_a_pack_is_removed_from_a_draft_with_an_entry(alice, draft):
    pack = draft.packs.get(serial="D-2")
    lot_packs_remove(user=alice, lot=draft, pack_ids=[pack.pk])
    assert sorted(draft.packs.values_list("serial", flat=True)) == ["D-1"]
    assert AuditEntry.objects.get(action="lot.packs_remove").before == {"packs": ["D-2"]}


def test_the_last_pack_and_packs_of_other_lots_are_not_removed(alice, draft, volta):
    other = PackFactory(lot=LotFactory(supplier=volta, status=LotStatus.DRAFT))
    lot_packs_remove(user=alice, lot=draft, pack_ids=[draft.packs.get(serial="D-2").pk])
    before = snapshot(draft)
    with pytest.raises(ApplicationError, match="at least one pack"):
        lot_packs_remove(user=alice, lot=draft, pack_ids=[draft.packs.get().pk])
    with pytest.raises(ApplicationError, match="not all on this lot"):
        lot_packs_remove(user=alice, lot=draft, pack_ids=[other.pk])
    assert snapshot(draft) == before
    assert Pack.objects.filter(pk=other.pk).exists()


def test_a_pack_with_uploaded_test_data_stays(
    alice, draft, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    pack = draft.packs.get(serial="D-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=85, pack_model=lfp_telecom_pack),
        )
    before = snapshot(draft)
    with pytest.raises(ApplicationError, match="D-1 carry uploaded test data or documents"):
        lot_packs_remove(user=alice, lot=draft, pack_ids=[pack.pk])
    assert snapshot(draft) == before


def test_a_pack_with_a_document_stays_with_it(alice, draft):
    pack = draft.packs.get(serial="D-1")
    document = document_upload(
        user=alice, lot=draft, pack=pack, uploaded_file=pdf(), kind="safety_data_sheet"
    )
    before = snapshot(draft)
    with pytest.raises(ApplicationError, match="D-1 carry uploaded test data or documents"):
        lot_packs_remove(user=alice, lot=draft, pack_ids=[pack.pk])
    assert snapshot(draft) == before
    assert Document.objects.filter(pk=document.pk, pack=pack).exists()


def test_evidence_protects_its_pack_whoever_deletes_it(
    alice, draft, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    """The models themselves keep test data and documents: no path deletes their pack."""
    pack = draft.packs.get(serial="D-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=85, pack_model=lfp_telecom_pack),
        )
    with pytest.raises(ProtectedError):
        Pack.objects.filter(pk=pack.pk).delete()
    assert TestRecord.objects.filter(pack=pack).exists()


def test_the_edit_pages_save_is_all_or_nothing(alice, draft, recell):
    PackFactory(lot=LotFactory(supplier=recell), serial="LIVE-1")
    before = snapshot(draft)
    with pytest.raises(ApplicationError):
        lot_draft_save(
            user=alice,
            lot=draft,
            changes={"location": "York"},
            new_packs=[{"serial": "LIVE-1"}],
        )
    assert snapshot(draft) == before
    assert Lot.objects.get(pk=draft.pk).location == "Leeds, GB"


def test_the_edit_pages_save_works_out_the_route_once(alice, draft, monkeypatch):
    """Fields and packs saved together are one correction: one refresh, two trail entries."""
    refreshes = []
    real = services.lot_refresh
    monkeypatch.setattr(services, "lot_refresh", lambda **kw: refreshes.append(kw) or real(**kw))
    lot_draft_save(user=alice, lot=draft, changes={"location": "York"},
                   new_packs=[{"serial": "ONCE-1"}])  # fmt: skip
    assert len(refreshes) == 1
    actions = AuditEntry.objects.filter(object_id=str(draft.pk)).values_list("action", flat=True)
    assert {"lot.update", "lot.packs_add"} <= set(actions)
    lot_draft_save(user=alice, lot=draft, changes={"location": "York"}, new_packs=[])
    assert len(refreshes) == 1  # nothing changed, nothing to work out


# --- roles and recall ---------------------------------------------------------------------


def test_a_member_prepares_a_draft_but_an_administrator_submits_and_withdraws(mia, alice, draft):
    lot_update(user=mia, lot=draft, location="York")
    lot_packs_add(user=mia, lot=draft, packs=[{"serial": "D-3"}])
    before = snapshot(draft)
    with pytest.raises(ApplicationError, match="Only an administrator of Volta"):
        lot_submit(user=mia, lot=draft)
    with pytest.raises(ApplicationError, match="Only an administrator of Volta"):
        lot_withdraw(user=mia, lot=draft)
    assert snapshot(draft) == before
    lot_submit(user=alice, lot=draft)
    assert Lot.objects.get(pk=draft.pk).status == LotStatus.SUBMITTED


def test_a_submitted_lot_is_recalled_to_draft_through_the_lifecycle(alice, mia, draft):
    lot_submit(user=alice, lot=draft)
    draft.refresh_from_db()
    with pytest.raises(ApplicationError, match="Only an administrator"):
        lot_recall(user=mia, lot=draft)
    lot_recall(user=alice, lot=draft, reason="Wrong claimed SOH")
    entry = AuditEntry.objects.filter(action="lot.transition").latest("pk")
    assert entry.before["status"] == "submitted"
    assert entry.after == {"status": "draft", "review_required": False, "by": "recall"}
    assert entry.reason == "Wrong claimed SOH"
    lot_update(user=alice, lot=draft, claimed_soh_pct=Decimal("80"))


@pytest.mark.parametrize("status", ["verifying", "verified", "discrepancy", "listed"])
def test_once_data_moved_a_lot_it_is_not_recalled(alice, draft, status):
    Lot.objects.filter(pk=draft.pk).update(status=status)
    draft.refresh_from_db()
    with pytest.raises(ApplicationError, match=f"cannot go from {status} to draft"):
        lot_recall(user=alice, lot=draft)
    assert Lot.objects.get(pk=draft.pk).status == status
