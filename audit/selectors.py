"""Audit reads: a page's entries, and the walk that proves the chain intact."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet

from .domain import GENESIS_HASH, ChainEntry, ChainHead, verify_chain
from .models import HEAD_PK, AuditChainHead, AuditEntry, timestamp_text

VERIFY_CHUNK_SIZE = 2000
_ENTRY_FIELDS = (
    "id",
    "seq",
    "created_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "scope",
    "before",
    "after",
    "reason",
    "prev_hash",
    "hash",
)


def audit_entries_for_scope(*, scope: str) -> QuerySet[AuditEntry]:
    """The entries recorded for a page (scope such as "lot:42"), oldest first."""
    return AuditEntry.objects.filter(scope=scope).order_by("seq")


@dataclass(frozen=True)
class ChainReport:
    """ok, how many entries were checked and, when broken, the first broken entry and why.

    first_broken_seq is the entry's seq (the first missing seq when entries were deleted from
    the end); first_broken_id is None when that entry is missing. kind is one of the
    audit.domain BREAK_ kinds; summary names the entry ("lot.transition on lot 12").
    """

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    reason: str = ""
    kind: str = ""
    summary: str = ""
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


def _chain_entries(rows: Iterator[tuple]) -> Iterator[ChainEntry]:
    for row in rows:
        values = dict(zip(_ENTRY_FIELDS, row, strict=True))
        values["created_at"] = timestamp_text(values["created_at"])
        yield ChainEntry(**values)


def audit_chain_verify(*, on_progress: Callable[[int, int], None] | None = None) -> ChainReport:
    """Check every entry's hash and link, and the head, streaming the table in chunks.

    on_progress(checked, total) is called every VERIFY_CHUNK_SIZE entries and at the end; total
    is the number of entries the head records. The head and the entries are read in one
    snapshot (REPEATABLE READ on PostgreSQL when not already inside a transaction), so entries
    appended while the check runs are neither missed at the end nor taken for insertions.
    """
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        head_row = AuditChainHead.objects.filter(pk=HEAD_PK).values_list("seq", "hash").first()
        head = ChainHead(*head_row) if head_row else None
        total = head.seq if head else AuditEntry.objects.count()

        def on_entry(checked: int) -> None:
            if on_progress is not None and checked % VERIFY_CHUNK_SIZE == 0:
                on_progress(checked, total)

        rows = (
            AuditEntry.objects.order_by("seq")
            .values_list(*_ENTRY_FIELDS)
            .iterator(chunk_size=VERIFY_CHUNK_SIZE)
        )
        result = verify_chain(_chain_entries(rows), head, on_entry=on_entry)
    if on_progress is not None:
        on_progress(result.checked, total)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    broken = result.broken
    if broken is None:
        return ChainReport(ok=True, checked=result.checked, head_seq=head_seq, head_hash=head_hash)
    entry = broken.entry
    return ChainReport(
        ok=False,
        checked=result.checked,
        first_broken_seq=broken.seq,
        first_broken_id=broken.id,
        reason=broken.reason,
        kind=broken.kind,
        summary=f"{entry.action} on {entry.object_type} {entry.object_id}" if entry else "",
        head_seq=head_seq,
        head_hash=head_hash,
    )
