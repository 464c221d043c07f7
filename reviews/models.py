"""What auditors ask of suppliers and what suppliers answer, and the notices both receive.

Verdicts are not stored here: a decision on a lot is a lifecycle transition with its audit entry
(`marketplace.lifecycle`); these rows hold the conversation around it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import SupplierRequestKind, SupplierRequestStatus


class SupplierRequest(models.Model):
    """A question, or a request for new test data, from an auditor to a lot's supplier."""

    lot = models.ForeignKey(
        "suppliers.Lot", on_delete=models.CASCADE, related_name="supplier_requests"
    )
    pack = models.ForeignKey(
        "suppliers.Pack",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="supplier_requests",
        help_text="Blank: about the lot as a whole",
    )
    kind = models.CharField(max_length=20, choices=SupplierRequestKind.choices)
    status = models.CharField(
        max_length=20, choices=SupplierRequestStatus.choices, default=SupplierRequestStatus.OPEN
    )
    text = models.TextField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        indexes = [models.Index(fields=["status", "asked_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SupplierRequestKind.values), name="supplierrequest_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SupplierRequestStatus.values),
                name="supplierrequest_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.lot_id}"


class SupplierAnswer(models.Model):
    request = models.ForeignKey(SupplierRequest, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Answer {self.pk} to request {self.request_id}"


class AnswerFile(models.Model):
    """A document a supplier attached to an answer (a datasheet, a report, a photo)."""

    answer = models.ForeignKey(SupplierAnswer, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="answers/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """An in-app notice for one person; the same text goes out by email from a task."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    lot = models.ForeignKey(
        "suppliers.Lot", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.TextField()
    link = models.CharField(max_length=255, blank=True, help_text="A path in the app")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message[:80]
