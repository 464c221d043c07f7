"""Stored files that no row names: left by a write whose transaction rolled back after the file
was written, or whose commit was lost with the database connection."""

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Model
from django.utils import timezone

logger = logging.getLogger(__name__)

# Files are written just before their row commits: one younger than this may belong to a
# write still in flight, so a sweep leaves it.
ORPHAN_GRACE = timedelta(hours=1)
CHUNK = 1000


def uploaded_sha256(uploaded_file) -> str:
    """The file's sha256, read chunk by chunk (uploads may be large), rewound for storing."""
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class SweepResult:
    files_checked: int
    files_removed: int
    bytes_removed: int


def _storage_files(storage, directory: str) -> Iterator[str]:
    folders, files = storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}"
    for folder in folders:
        yield from _storage_files(storage, f"{directory}/{folder}")


def storage_orphans_sweep(
    *,
    model: type[Model],
    field: str,
    directory: str,
    older_than: timedelta = ORPHAN_GRACE,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SweepResult:
    """Remove the files under `directory` of `model.field`'s storage that no row names and that
    are older than `older_than`. The rows are read after the listing, so a row committed
    meanwhile keeps its file."""
    storage = model._meta.get_field(field).storage
    if not storage.exists(directory):
        return SweepResult(0, 0, 0)
    cutoff = timezone.now() - older_than
    candidates = [
        name
        for name in _storage_files(storage, directory)
        if storage.get_modified_time(name) < cutoff
    ]
    referenced: set[str] = set()
    for start in range(0, len(candidates), CHUNK):
        chunk: Iterable[str] = candidates[start : start + CHUNK]
        rows = model._default_manager.filter(**{f"{field}__in": chunk})
        referenced.update(rows.values_list(field, flat=True))
    removed = removed_bytes = 0
    for name in candidates:
        if progress is not None:
            progress(name)
        if name in referenced:
            continue
        size = storage.size(name)
        if not dry_run:
            storage.delete(name)
        logger.info("orphaned file %s (%d bytes) removed", name, size)
        removed += 1
        removed_bytes += size
    return SweepResult(len(candidates), removed, removed_bytes)


def storage_stale_sweep(
    *, storage, directory: str, older_than: timedelta, dry_run: bool = False
) -> SweepResult:
    """Remove the files under `directory` of `storage` older than `older_than`: for files held
    only between two requests (an upload shown for confirmation), which no row ever names."""
    if not storage.exists(directory):
        return SweepResult(0, 0, 0)
    cutoff = timezone.now() - older_than
    checked = removed = removed_bytes = 0
    for name in list(_storage_files(storage, directory)):
        checked += 1
        if storage.get_modified_time(name) >= cutoff:
            continue
        size = storage.size(name)
        if not dry_run:
            storage.delete(name)
        logger.info("stale file %s (%d bytes) removed", name, size)
        removed += 1
        removed_bytes += size
    return SweepResult(checked, removed, removed_bytes)
