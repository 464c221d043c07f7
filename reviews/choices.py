from django.db import models


class SupplierRequestKind(models.TextChoices):
    QUESTION = "question", "Question"
    DATA_REQUEST = "data_request", "New test data requested"


class SupplierRequestStatus(models.TextChoices):
    # Waiting for the supplier; once answered, the item is back in the auditors' queue.
    OPEN = "open", "Waiting for the supplier"
    ANSWERED = "answered", "Answered, waiting for an auditor"
    CLOSED = "closed", "Closed"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
