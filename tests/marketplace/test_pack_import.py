"""The marketplace's pack import: the whole file or nothing, its audit entry, the lot's route,
and the upload held between preview and confirmation."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from audit.models import AuditEntry
from core.errors import ApplicationError
from marketplace import tasks
from marketplace.lifecycle import lot_scope
from marketplace.models import LotSummary
from marketplace.pack_import import (
    held_imports_sweep,
    pack_import,
    pack_import_check,
    pack_import_confirm,
    pack_import_preview,
)
from suppliers.choices import LotStatus
from suppliers.models import HistoryEvent, Pack
from suppliers.pack_import import PackImportInvalid
from tests.factories import LotFactory, PackFactory
from tests.pack_files import csv_bytes, pack_rows, upload, xlsx_bytes


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def draft(volta, lfp_telecom_pack):
    return LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT, quantity=50,
        reference="VOLTA-DRAFT",
    )  # fmt: skip


def counts():
    return Pack.objects.count(), HistoryEvent.objects.count(), AuditEntry.objects.count()


def held(media: Path) -> list[Path]:
    return sorted(p for p in (media / "imports").rglob("*") if p.is_file())


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_an_import_writes_packs_history_audit_and_route(draft, alice, make):
    done = pack_import(user=alice, lot=draft, data=make(pack_rows(30)), name="packs.file")
    assert (done.packs, done.history_events) == (30, 60)
    assert draft.packs.count() == 30
    entry = AuditEntry.objects.get(action="lot.packs_import")
    assert entry.scope == lot_scope(draft.pk)
    assert entry.actor_name == "alice"
    assert entry.after["packs"] == 30 and entry.after["file"] == "packs.file"
    assert entry.after["serials"][:2] == ["IMP-00001", "IMP-00002"]
    assert entry.after["sha256"] == done.sha256
    summary = LotSummary.objects.get(lot=draft)
    assert summary.route  # the lot's provisional route, recomputed with its new packs
    draft.refresh_from_db()
    assert draft.status == LotStatus.DRAFT


def test_a_failed_import_leaves_the_database_as_it_was(draft, alice, recell, lfp_telecom_pack):
    PackFactory(lot=LotFactory(supplier=recell, pack_model=lfp_telecom_pack), serial="ROB-7")
    before = counts()
    rows = [*pack_rows(10), ["ROB-7", "", "", "", "", "", ""]]
    with pytest.raises(PackImportInvalid) as caught:
        pack_import(user=alice, lot=draft, data=csv_bytes(rows), name="p.csv")
    assert [e.line for e in caught.value.errors] == [12]
    assert "already listed by another organisation" in caught.value.errors[0].message
    assert counts() == before


def test_a_serial_taken_between_check_and_insert_rolls_everything_back(
    draft, alice, recell, lfp_telecom_pack, monkeypatch
):
    from suppliers import pack_import as suppliers_import

    before = counts()
    # The check sees no live serial, as if another lot listed it just after.
    monkeypatch.setattr(suppliers_import, "pack_rows_check", lambda **kwargs: [])
    PackFactory(lot=LotFactory(supplier=recell, pack_model=lfp_telecom_pack), serial="IMP-00003")
    before = counts()
    with pytest.raises(ApplicationError, match="just listed in another lot"):
        pack_import(user=alice, lot=draft, data=csv_bytes(pack_rows(5)), name="p.csv")
    assert counts() == before


def test_outsiders_and_other_statuses_are_refused(draft, rob, bianca, alice, media):
    data = csv_bytes(pack_rows(2))
    for outsider in (rob, bianca):
        with pytest.raises(ApplicationError, match="Only the supplier of this lot"):
            pack_import(user=outsider, lot=draft, data=data, name="p.csv")
        with pytest.raises(ApplicationError, match="Only the supplier of this lot"):
            pack_import_check(user=outsider, lot=draft, data=data, name="p.csv")
        with pytest.raises(ApplicationError, match="Only the supplier of this lot"):
            pack_import_preview(user=outsider, lot=draft, uploaded_file=upload(data))
    listed = LotFactory(supplier=draft.supplier, status=LotStatus.LISTED)
    with pytest.raises(ApplicationError, match="draft lot only; this lot is Listed"):
        pack_import(user=alice, lot=listed, data=data, name="p.csv")
    assert Pack.objects.count() == 0


def test_preview_holds_a_valid_file_and_confirm_imports_it(
    draft, alice, media, django_capture_on_commit_callbacks
):
    data = csv_bytes(pack_rows(4))
    check = pack_import_preview(user=alice, lot=draft, uploaded_file=upload(data, "my packs.csv"))
    assert check.ok and len(check.parsed.rows) == 4
    (path,) = held(media)
    assert path.relative_to(media).as_posix() == (
        f"imports/lot-{draft.pk}/{check.sha256}/my_packs.csv"
    )
    assert Pack.objects.count() == 0  # a preview writes no row
    with django_capture_on_commit_callbacks(execute=True):
        done = pack_import_confirm(user=alice, lot=draft, sha256=check.sha256)
    assert done.packs == 4 and done.name == "my_packs.csv"
    assert held(media) == []  # gone once the import committed
    with pytest.raises(ApplicationError, match="no longer held"):
        pack_import_confirm(user=alice, lot=draft, sha256=check.sha256)


def test_preview_of_a_bad_file_holds_nothing(draft, alice, media):
    check = pack_import_preview(
        user=alice, lot=draft, uploaded_file=upload(csv_bytes([["A", "104", "", "", "", "", ""]]))
    )
    assert not check.ok
    assert not (media / "imports").exists()


def test_confirm_checks_the_file_again(draft, alice, recell, lfp_telecom_pack, media):
    check = pack_import_preview(
        user=alice, lot=draft, uploaded_file=upload(csv_bytes(pack_rows(3)))
    )
    PackFactory(lot=LotFactory(supplier=recell, pack_model=lfp_telecom_pack), serial="IMP-00002")
    before = counts()
    with pytest.raises(PackImportInvalid) as caught:
        pack_import_confirm(user=alice, lot=draft, sha256=check.sha256)
    assert [str(e) for e in caught.value.errors] == [
        "line 3, serial: IMP-00002 is already listed by another organisation. A pack changes "
        "hands by a custody transfer, not by listing it again."
    ]
    assert counts() == before


def test_confirm_trusts_only_what_the_server_holds(draft, alice, volta, lfp_telecom_pack, media):
    check = pack_import_preview(
        user=alice, lot=draft, uploaded_file=upload(csv_bytes(pack_rows(3)))
    )
    other = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT)
    for lot, sha256 in [
        (other, check.sha256),  # held for another lot
        (draft, "../" + check.sha256[3:]),
        (draft, "0" * 64),
        (draft, ""),
    ]:
        with pytest.raises(ApplicationError, match="no longer held"):
            pack_import_confirm(user=alice, lot=lot, sha256=sha256)
    (path,) = held(media)
    path.write_bytes(csv_bytes(pack_rows(3, prefix="SWAPPED")))
    with pytest.raises(ApplicationError, match="changed since the preview"):
        pack_import_confirm(user=alice, lot=draft, sha256=check.sha256)
    assert Pack.objects.count() == 0


def test_confirm_refuses_rob(draft, rob, alice, media):
    check = pack_import_preview(
        user=alice, lot=draft, uploaded_file=upload(csv_bytes(pack_rows(3)))
    )
    with pytest.raises(ApplicationError, match="Only the supplier of this lot"):
        pack_import_confirm(user=rob, lot=draft, sha256=check.sha256)
    assert Pack.objects.count() == 0


def test_held_uploads_older_than_a_day_are_swept(draft, alice, media):
    check = pack_import_preview(
        user=alice, lot=draft, uploaded_file=upload(csv_bytes(pack_rows(2)))
    )
    fresh = pack_import_preview(
        user=alice, lot=draft, uploaded_file=upload(csv_bytes(pack_rows(2, prefix="NEW")))
    )
    old_path = next(p for p in held(media) if check.sha256 in str(p))
    then = time.time() - timedelta(hours=25).total_seconds()
    os.utime(old_path, (then, then))
    result = held_imports_sweep()
    assert (result.files_checked, result.files_removed) == (2, 1)
    assert [p.parent.name for p in held(media)] == [fresh.sha256]
    assert tasks.sweep_held_pack_imports() == 0
