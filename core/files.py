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


NAME_MAX_LENGTH = 255


def upload_name(uploaded_file, *, default: str) -> str:
    """The name the uploader gave the file, without any folders, as a row keeps it."""
    name = (uploaded_file.name or default).replace("\\", "/").rsplit("/", 1)[-1]
    return name[:NAME_MAX_LENGTH] or default


def stored_file_discard(field_file) -> None:
    """Remove the stored file of a row being rolled back (before any commit, so no committed
    row loses its file); what cannot be removed now is left to the orphan sweep."""
    if not field_file.name:
        return
    try:
        field_file.delete(save=False)
    except Exception:
        logger.exception("could not remove %s; the orphan sweep will", field_file.name)


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
    orphans = (name for name in _ticking(candidates, progress) if name not in referenced)
    removed, removed_bytes = _remove(storage, orphans, what="orphaned", dry_run=dry_run)
    return SweepResult(len(candidates), removed, removed_bytes)


def _ticking(names: Iterable[str], progress: Callable[[str], None] | None) -> Iterator[str]:
    """`names`, telling `progress` of each as it is reached (the removal goes alongside)."""
    for name in names:
        if progress is not None:
            progress(name)
        yield name


def _remove(storage, names: Iterable[str], *, what: str, dry_run: bool) -> tuple[int, int]:
    """Delete `names` from `storage` (unless a dry run); how many and their bytes."""
    removed = removed_bytes = 0
    for name in names:
        size = storage.size(name)
        if not dry_run:
            storage.delete(name)
        logger.info("%s file %s (%d bytes) removed", what, name, size)
        removed += 1
        removed_bytes += size
    return removed, removed_bytes


def storage_stale_sweep(*, storage, directory: str, older_than: timedelta) -> SweepResult:
    """Remove the files under `directory` of `storage` older than `older_than`: for files held
    only between two requests (an upload shown for confirmation), which no row ever names."""
    if not storage.exists(directory):
        return SweepResult(0, 0, 0)
    cutoff = timezone.now() - older_than
    names = list(_storage_files(storage, directory))
    stale = [name for name in names if storage.get_modified_time(name) < cutoff]
    removed, removed_bytes = _remove(storage, stale, what="stale", dry_run=False)
    return SweepResult(len(names), removed, removed_bytes)
