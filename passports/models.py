from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import PassportDirection, PassportKind


class PassportDocument(models.Model):
    """One passport document of a pack, as issued here or as imported: the record that lets a
    later passport name its predecessor, and evidence of what was handed out or taken in."""

    pack = models.ForeignKey(
        "suppliers.Pack", on_delete=models.CASCADE, related_name="passport_documents"
    )
    kind = models.CharField(max_length=20, choices=PassportKind.choices)
    direction = models.CharField(max_length=6, choices=PassportDirection.choices)
    passport_identifier = models.CharField(max_length=100, db_index=True)
    predecessor_identifier = models.CharField(max_length=100, blank=True)
    document = models.JSONField()
    sha256 = models.CharField(max_length=64, help_text="Of the document's canonical JSON")
    # An issued document is the same document while the pack's facts are the same: a download
    # gets the passport already issued for them, a changed fact a new one naming it.
    content_sha256 = models.CharField(
        max_length=64, blank=True, help_text="Of what it says, without its identity and dates"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "kind", "content_sha256"],
                condition=Q(direction="export"),
                name="passport_issued_once_per_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.passport_identifier} ({self.direction})"
