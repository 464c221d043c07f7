"""The audit trail's tables: entries (append-only) and the chain head (one row)."""

from datetime import UTC, datetime

from django.db import models

from .domain import GENESIS_HASH

HEAD_PK = 1


def timestamp_text(value: datetime) -> str:
    """The ISO 8601 text of created_at that entry hashes cover: UTC, to the microsecond."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


class AuditEntry(models.Model):
    """One recorded change: who, when, what, before, after, why; hashed with its predecessor.

    Rows are only ever inserted, by audit.services; on PostgreSQL a trigger refuses UPDATE,
    DELETE and TRUNCATE. actor_id is a plain number, not a foreign key, so deleting a user never
    has to touch this table.
    """

    seq = models.PositiveBigIntegerField(
        unique=True, help_text="Position in the chain: 1, 2, 3 ..."
    )
    created_at = models.DateTimeField()
    actor_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    # The (scope, seq) index below serves lookups by scope alone too.
    scope = models.CharField(max_length=60, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["scope", "seq"], name="audit_entry_scope_seq")]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} on {self.object_type} {self.object_id}"


class AuditChainHead(models.Model):
    """The seq and hash of the last entry (pk 1); entries deleted from the end show here."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=HEAD_PK)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=HEAD_PK), name="audit_chain_head_single")
        ]

    def __str__(self) -> str:
        return f"audit chain head #{self.seq}"
