"""Files of uploads that never committed do not stay in storage: removed with a rolled-back
row at once, or by the sweep once no row names them."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from marketplace import services, tasks
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification import services as verification_services
from verification.models import TestRecord


@pytest.fixture
def media(settings, tmp_path, monkeypatch) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(tasks.verify_test_record, "delay", lambda *args: None)
    return tmp_path


@pytest.fixture
def pack(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=1)
    return PackFactory(lot=lot)


def upload(alice, pack, lfp_telecom_pack, soh_pct=84.0):
    return services.test_data_upload(
        user=alice,
        pack=pack,
        uploaded_file=capacity_test_upload(soh_pct=soh_pct, pack_model=lfp_telecom_pack),
    )


def stray_file(media: Path, name: str, *, age: timedelta) -> Path:
    path = media / "test-data" / "2026" / "11" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"time,current\n" * 100)
    then = time.time() - age.total_seconds()
    os.utime(path, (then, then))
    return path


def stored_files(media: Path) -> set[str]:
    return {p.name for p in (media / "test-data").rglob("*") if p.is_file()}


def test_an_upload_rolled_back_after_its_file_was_written_leaves_no_file(
    media, alice, pack, lfp_telecom_pack, monkeypatch
):
    def refresh_fails(**kwargs):
        raise RuntimeError("the lot could not be refreshed")

    monkeypatch.setattr(services, "lot_refresh", refresh_fails)
    with pytest.raises(RuntimeError):
        upload(alice, pack, lfp_telecom_pack)
    assert TestRecord.objects.count() == 0
    assert stored_files(media) == set()


def test_the_sweep_removes_old_files_no_upload_names_and_keeps_the_rest(
    media, alice, pack, lfp_telecom_pack
):
    record = upload(alice, pack, lfp_telecom_pack)
    kept = Path(record.file.path)
    os.utime(kept, (time.time() - 7200, time.time() - 7200))  # old, but an upload names it
    old = stray_file(media, "lost-commit.csv", age=timedelta(hours=2))
    young = stray_file(media, "in-flight.csv", age=timedelta(minutes=5))

    dry = verification_services.test_data_orphans_sweep(dry_run=True)
    assert (dry.files_checked, dry.files_removed) == (2, 1)
    assert old.exists()

    result = verification_services.test_data_orphans_sweep()
    assert (result.files_removed, result.bytes_removed) == (1, len(b"time,current\n") * 100)
    assert not old.exists()
    assert young.exists() and kept.exists()
    assert TestRecord.objects.get(pk=record.pk).file.read()  # the upload's evidence is intact


def test_the_sweep_command_reports_what_it_removed(db, media, capsys):
    stray_file(media, "a.csv", age=timedelta(hours=3))
    stray_file(media, "b.csv", age=timedelta(minutes=10))
    call_command("sweep_test_data", "--older-than-minutes", "60", verbosity=0)
    assert "1 files older than 60 min checked; removed 1 orphaned" in capsys.readouterr().out
    assert stored_files(media) == {"b.csv"}
    call_command("sweep_test_data", "--older-than-minutes", "1", "--dry-run", verbosity=0)
    assert "would remove 1 orphaned" in capsys.readouterr().out
    assert stored_files(media) == {"b.csv"}


def test_the_sweep_with_no_test_data_folder_does_nothing(db, media):
    assert verification_services.test_data_orphans_sweep().files_checked == 0
