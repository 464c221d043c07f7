from django.db import models


class TestDataFormat(models.TextChoices):
    __test__ = False  # not a pytest test class, despite the name

    CANONICAL_CSV = "canonical_csv", "Canonical CSV"


class TestRecordStatus(models.TextChoices):
    __test__ = False  # not a pytest test class, despite the name

    PENDING = "pending", "Waiting for a worker"
    PROCESSING = "processing", "Verifying"
    DONE = "done", "Verified"
    FAILED = "failed", "Failed"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", "Claim confirmed"
    DISCREPANCY = "discrepancy", "Discrepancy"


class SohDefinition(models.TextChoices):
    CAPACITY = "capacity", "Capacity-based (measured discharge Ah / nominal Ah)"
