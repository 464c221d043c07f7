from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """The stored answer to one API write sent with an `Idempotency-Key` header.

    Inserted in the same transaction as the write itself: the row exists exactly when the
    write committed, so a retry with the same key gets this answer instead of a second write.
    """

    scope = models.CharField(
        max_length=64,
        help_text="Keyed hash of the caller (session user or Authorization header), never the "
        "credential itself: one caller's keys never meet another's.",
    )
    key = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who the request authenticated as (evidence; replays match on scope).",
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    request_hash = models.CharField(
        max_length=64, help_text="SHA-256 of method, path and body (form fields and files)."
    )
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=2000, blank=True)
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
