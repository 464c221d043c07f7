from django.db import models


class TestDataFormat(models.TextChoices):
    __test__ = False  # not a pytest test class, despite the name

    AUTO = "auto", "Detect from the content"
    CANONICAL_CSV = "canonical_csv", "Canonical CSV"
    ARBIN_CSV = "arbin_csv", "Arbin CSV export"
    ARBIN_XLSX = "arbin_xlsx", "Arbin Excel export"
    MACCOR_TXT = "maccor_txt", "Maccor text export"
    NEWARE_CSV = "neware_csv", "Neware CSV export"
    NEWARE_NDAX = "neware_ndax", "Neware .ndax"
    BIOLOGIC_MPR = "biologic_mpr", "BioLogic .mpr"
    BIOLOGIC_MPT = "biologic_mpt", "BioLogic .mpt text"
    BMS_SNAPSHOT = "bms_snapshot", "BMS snapshot (JSON or CSV)"


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
    ENERGY = "energy", "Energy-based (measured discharge Wh / nominal Wh)"
