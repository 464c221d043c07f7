"""Audit writes: append entries to the hash chain, one at a time or many under one lock.

Lock order. Both functions lock the chain head row (SELECT ... FOR UPDATE), which makes every
writer of the audit trail wait for the one before it until its transaction ends. Call them
inside the transaction of the change they record, after that transaction has taken every other
row lock it needs: the head lock comes last. A transaction that holds the head and then waits for
a lot row, while another holds that lot and waits for the head, deadlocks (PostgreSQL aborts
one of them). Keep the work after the audit write short, for the same reason.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .domain import entry_hash, entry_payload, json_stable
from .models import HEAD_PK, AuditChainHead, AuditEntry, timestamp_text

SYSTEM_ACTOR = "system"
BULK_BATCH_SIZE = 1000
# From this many entries on, PostgreSQL takes them by COPY (two statements, the id draw and the
# COPY, instead of one INSERT: worth it only for a batch).
COPY_FROM_ENTRIES = 100


@dataclass(frozen=True, kw_only=True)
class AuditInput:
    """One entry for audit_record_many; the same fields as audit_record's arguments."""

    actor: AbstractBaseUser | None
    action: str
    object_type: str
    object_id: str | int
    before: Any = None
    after: Any = None
    reason: str = ""
    scope: str = ""


class _AuditJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal) and not o.is_finite():
            raise ValueError(f"audit values cannot hold NaN or Infinity (got Decimal {o})")
        return super().default(o)


def _json_value(value: Any, *, field: str) -> Any:
    """value as stored: Decimal, date, datetime and UUID as strings, stable through jsonb."""
    if value is None:
        return None
    try:
        text = json.dumps(value, cls=_AuditJSONEncoder, allow_nan=False)
        return json_stable(json.loads(text))
    except ValueError as error:
        message = str(error)
        if "Out of range float" in message:
            message = f"audit values cannot hold NaN or Infinity ({message})"
        raise ValueError(f"audit {field}: {message}") from None


def _text(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    text = str(value)
    if required and not text:
        raise ValueError(f"audit {field} is required")
    if len(text) > max_length:
        raise ValueError(f"audit {field} is longer than {max_length} characters: {text[:80]!r}")
    return text


def _fields(item: AuditInput) -> dict[str, Any]:
    """The stored fields of an entry, apart from seq, created_at and the hashes."""
    actor = item.actor
    if actor is not None and actor.pk is None:
        raise ValueError("an audit actor is a saved user, or None for the system")
    return {
        "actor_id": None if actor is None else actor.pk,
        "actor_name": SYSTEM_ACTOR if actor is None else actor.get_username(),
        "action": _text(item.action, field="action", max_length=60),
        "object_type": _text(item.object_type, field="object_type", max_length=60),
        "object_id": _text(item.object_id, field="object_id", max_length=40),
        "scope": _text(item.scope, field="scope", max_length=60, required=False),
        "before": _json_value(item.before, field="before"),
        "after": _json_value(item.after, field="after"),
        "reason": str(item.reason),
    }


def _head_locked() -> AuditChainHead:
    """The chain head row, locked until the transaction ends; created on first use."""
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=HEAD_PK)
    except IntegrityError:
        # Another transaction created it between our read and our insert; its insert held us
        # until it committed, and the locking read below waits for the rest of its work.
        pass
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)


@transaction.atomic
def audit_record_many(*, entries: Iterable[AuditInput]) -> list[AuditEntry]:
    """Append entries in the given order under one head lock; one INSERT per 1000 entries."""
    prepared = [_fields(item) for item in entries]  # refuse bad input before taking the lock
    if not prepared:
        return []
    head = _head_locked()
    created_at = timezone.now()  # after the lock, so created_at never goes back along the chain
    created_at_text = timestamp_text(created_at)
    seq, prev_hash = head.seq, head.hash
    rows = []
    for fields in prepared:
        seq += 1
        digest = entry_hash(entry_payload(seq=seq, created_at=created_at_text, **fields), prev_hash)
        rows.append(
            AuditEntry(seq=seq, created_at=created_at, prev_hash=prev_hash, hash=digest, **fields)
        )
        prev_hash = digest
    _insert(rows)
    AuditChainHead.objects.filter(pk=HEAD_PK).update(seq=seq, hash=prev_hash)
    return rows


def _insert(rows: list[AuditEntry]) -> None:
    """INSERT the entries; on PostgreSQL by COPY, with ids drawn from the sequence first: a
    bulk re-route appends a thousand entries with nested JSON per chunk, and an INSERT's
    escaping of that JSON costs several times the COPY. The triggers fire for COPY as well."""
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM_ENTRIES:
        AuditEntry.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
        return
    fields = AuditEntry._meta.concrete_fields
    json_fields = {field.attname for field in fields if field.get_internal_type() == "JSONField"}
    table = AuditEntry._meta.db_table
    # wrap_database_errors: a COPY's errors come as Django's (IntegrityError), as an INSERT's do.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        for row, (pk,) in zip(rows, sorted(cursor.fetchall()), strict=True):
            row.pk = pk
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for field in fields:
                    value = getattr(row, field.attname)
                    if field.attname in json_fields and value is not None:
                        value = json.dumps(value, allow_nan=False)
                    values.append(value)
                copy.write_row(values)
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    scope: str = "",
) -> AuditEntry:
    """Append one entry: actor a user, or None for the system. See the module note on locks."""
    item = AuditInput(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
        scope=scope,
    )
    return audit_record_many(entries=[item])[0]
