"""A draft lot's packs imported from a CSV or XLSX file, for the web flow (upload, preview,
confirm) and the API (dry run, import). The file is read and checked by
`suppliers.pack_import`; here the import also gets its audit entry and the lot its refreshed
route, in the same transaction.

Between preview and confirm the upload is held in the default storage under
`imports/lot-<id>/<sha256>/`, so the confirmation names a file the server already has and
checks it again (the client sends only the hash); held files are swept after `HOLD`."""

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from audit.services import audit_record
from core.errors import ApplicationError
from core.files import SweepResult, storage_stale_sweep
from suppliers.domain.pack_rows import PackRows, RowError
from suppliers.models import Lot
from suppliers.pack_import import (
    MAX_FILE_BYTES,
    PackFile,
    lot_wide_history,
    pack_file_check,
    pack_file_read,
    pack_import_allowed,
    pack_rows_import,
)

from .lifecycle import lot_scope
from .pipeline import lot_refresh

IMPORTS_DIR = "imports"
HOLD = timedelta(days=1)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PackImportCheck:
    """A file as checked for a lot: what would be imported, or everything wrong with it."""

    name: str
    sha256: str
    pack_file: PackFile

    @property
    def parsed(self) -> PackRows:
        return self.pack_file.parsed

    @property
    def ok(self) -> bool:
        return self.pack_file.ok

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.errors


@dataclass(frozen=True)
class PackImportDone:
    name: str
    sha256: str
    packs: int
    history_events: int


def import_name(name: str | None) -> str:
    """The file's name as the trail and the held copy keep it, whichever way it came."""
    try:
        return get_valid_filename(name or "packs")[:100] or "packs"
    except SuspiciousFileOperation:  # "." or ".." alone
        return "packs"


def upload_bytes(uploaded_file) -> bytes:
    """The upload's content, read no further than one byte past the limit."""
    uploaded_file.seek(0)
    return uploaded_file.read(MAX_FILE_BYTES + 1)


def _read(*, lot: Lot, data: bytes) -> PackFile:
    return pack_file_read(data, today=timezone.localdate(), lot_history=lot_wide_history(lot))


def _checked(*, lot: Lot, data: bytes, name: str) -> PackImportCheck:
    return PackImportCheck(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        pack_file=pack_file_check(lot=lot, pack_file=_read(lot=lot, data=data)),
    )


def pack_import_check(
    *, user: AbstractBaseUser, lot: Lot, data: bytes, name: str
) -> PackImportCheck:
    """Read and check a file against the lot, writing nothing (the API's dry run)."""
    pack_import_allowed(user=user, lot=lot)
    return _checked(lot=lot, data=data, name=import_name(name))


def _held_folder(lot_id: int, sha256: str) -> str:
    return f"{IMPORTS_DIR}/lot-{lot_id}/{sha256}"


def pack_import_preview(*, user: AbstractBaseUser, lot: Lot, uploaded_file) -> PackImportCheck:
    """Check an upload for the preview page; a file that can be imported is held for the
    confirmation (under its hash and the lot, whoever of the lot's supplier confirms)."""
    pack_import_allowed(user=user, lot=lot)
    name = import_name(uploaded_file.name)
    data = upload_bytes(uploaded_file)
    check = _checked(lot=lot, data=data, name=name)
    if check.ok:
        folder = _held_folder(lot.pk, check.sha256)
        for held in _held_files(folder):
            default_storage.delete(held)  # the same content again: held afresh, under its name
        default_storage.save(f"{folder}/{name}", ContentFile(data))
    return check


def _held_files(folder: str) -> list[str]:
    if not default_storage.exists(folder):
        return []
    return [f"{folder}/{name}" for name in default_storage.listdir(folder)[1]]


def pack_import_confirm(*, user: AbstractBaseUser, lot: Lot, sha256: str) -> PackImportDone:
    """Import the file the preview held for this lot, checked again as it is now."""
    pack_import_allowed(user=user, lot=lot)
    held = _held_files(_held_folder(lot.pk, sha256)) if SHA256_HEX.fullmatch(sha256) else []
    if not held:
        raise ApplicationError(
            "That upload is no longer held (imported already, or older than a day): upload "
            "the file again.",
            field="file",
        )
    path = held[0]
    with default_storage.open(path, "rb") as stored:
        data = stored.read(MAX_FILE_BYTES + 1)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ApplicationError("The held upload changed since the preview; upload it again.")
    done = pack_import(user=user, lot=lot, data=data, name=path.rsplit("/", 1)[-1])
    transaction.on_commit(lambda: _held_discard(path))
    return done


def _held_discard(path: str) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)


def pack_import(*, user: AbstractBaseUser, lot: Lot, data: bytes, name: str) -> PackImportDone:
    """Import every pack of the file, with its history, or none: a file with any error
    raises `suppliers.pack_import.PackImportInvalid` with all of them and writes nothing.
    The file is read before the lot is locked, and checked against the platform under the
    lock."""
    pack_import_allowed(user=user, lot=lot)
    name = import_name(name)
    pack_file = _read(lot=lot, data=data)
    sha256 = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        packs, events = pack_rows_import(user=user, lot=lot, pack_file=pack_file)
        audit_record(
            actor=user,
            action="lot.packs_import",
            object_type="lot",
            object_id=lot.pk,
            after={
                "file": name,
                "sha256": sha256,
                "format": pack_file.kind,
                "packs": len(packs),
                "history_events": events,
                "serials": [pack.serial for pack in packs],
            },
            scope=lot_scope(lot.pk),
        )
        lot_refresh(lot_id=lot.pk, reason=f"{len(packs):,} packs imported from {name}")
    return PackImportDone(name, sha256, len(packs), events)


def held_imports_sweep(*, older_than: timedelta = HOLD) -> SweepResult:
    """Uploads shown in a preview and never confirmed are removed once older than a day."""
    return storage_stale_sweep(
        storage=default_storage, directory=IMPORTS_DIR, older_than=older_than
    )
