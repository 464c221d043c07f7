from django.db import models


class TestDataFormat(models.TextChoices):
    __test__ = False  # not a pytest test class, despite the name

    AUTO = "auto", "Detect from the content"
    CANONICAL_CSV = "canonical_csv", "Canonical CSV"
    ARBIN_CSV = "arbin_csv", "Arbin CSV export"
    ARBIN_XLSX = "arbin_xlsx", "Arbin Excel export"
    MACCOR_TXT = "maccor_txt", "Maccor text export"
    NEWARE_CSV = "neware_csv", "Neware CSV export"
    NEWARE_XLSX = "neware_xlsx", "Neware Excel export"
    NEWARE_NDAX = "neware_ndax", "Neware .ndax"
    BIOLOGIC_MPR = "biologic_mpr", "BioLogic .mpr"
    BIOLOGIC_MPT = "biologic_mpt", "BioLogic .mpt text"
    BMS_SNAPSHOT = "bms_snapshot", "BMS snapshot (JSON or CSV)"


class TestRecordStatus(models.TextChoices):
    __test__ = False  # not a pytest test class, despite the name

    PENDING = "pending", "Waiting for a worker"
    PROCESSING = "processing", "Verifying"
    # "Read", not "verified": what the file proves is the verdict of its verification.
    DONE = "done", "Read"
    FAILED = "failed", "Failed"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Verdict(models.TextChoices):
    """What one verification says about a pack's claim; only CONFIRMED confirms it."""

    CONFIRMED = "confirmed", "Claim confirmed"
    DISCREPANCY = "discrepancy", "Discrepancy"
    # Read, but no complete capacity test in it (a partial discharge, a fragment).
    INCONCLUSIVE = "inconclusive", "No complete capacity test"
    # The file does not fit the pack (voltage window, capacity, current): not its evidence.
    REJECTED = "rejected", "Not evidence for this pack"
    # The same file or the same measurement was offered for another pack.
    DUPLICATE = "duplicate", "Duplicate evidence"
    # A declared cell or module test: shown, never confirms a pack claim.
    CELL_EVIDENCE = "cell_evidence", "Cell or module evidence"
    # Measured against a pack model no auditor has approved: its nominal is the seller's word.
    UNAPPROVED_MODEL = "unapproved_model", "Pack model awaiting approval"
    # A BMS snapshot: read, measures nothing.
    NOT_MEASURED = "not_measured", "BMS data read (not a measurement)"


# Verdicts of a complete measurement that is this pack's own evidence: they count towards the
# lot's sample, and the latest of them is the pack's measured figure.
MEASURED_VERDICTS = (Verdict.CONFIRMED, Verdict.DISCREPANCY, Verdict.UNAPPROVED_MODEL)
# Verdicts whose measured SOH is the pack's own, against an approved pack model: it replaces
# the claim in the lot's figures and its route.
STANDING_VERDICTS = (Verdict.CONFIRMED, Verdict.DISCREPANCY)
# Verdicts that send the lot to the auditors.
AUDIT_VERDICTS = (Verdict.DISCREPANCY, Verdict.DUPLICATE)


class TestLevel(models.TextChoices):
    """What the uploaded test was run on, as the uploader declares it."""

    __test__ = False

    PACK = "pack", "The whole pack"
    MODULE = "module", "One module of the pack"
    CELL = "cell", "One cell of the pack"


class SohDefinition(models.TextChoices):
    CAPACITY = "capacity", "Capacity-based (measured discharge Ah / nominal Ah)"
    ENERGY = "energy", "Energy-based (measured discharge Wh / nominal Wh)"
