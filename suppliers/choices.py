from django.db import models


class OrganisationKind(models.TextChoices):
    SUPPLIER = "supplier", "Supplier"
    BUYER = "buyer", "Buyer"
    BOTH = "both", "Supplier and buyer"


class MembershipRole(models.TextChoices):
    ADMIN = "admin", "Administrator"
    MEMBER = "member", "Member"


class Chemistry(models.TextChoices):
    LFP = "LFP", "LFP"
    NMC = "NMC", "NMC"
    NCA = "NCA", "NCA"
    LMO = "LMO", "LMO"
    LTO = "LTO", "LTO"
    UNKNOWN = "unknown", "Unknown"


class LotStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    VERIFYING = "verifying", "Verifying"
    VERIFIED = "verified", "Verified"
    DISCREPANCY = "discrepancy", "Discrepancy"
    REJECTED = "rejected", "Rejected"
    LISTED = "listed", "Listed"
    RESERVED = "reserved", "Reserved"
    SOLD = "sold", "Sold"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Buyers browse only lots whose figures were measured and confirmed.
BROWSABLE_LOT_STATUSES = (LotStatus.VERIFIED, LotStatus.LISTED, LotStatus.RESERVED)
# Lot statuses the verification pipeline may move between on its own.
PIPELINE_LOT_STATUSES = (
    LotStatus.SUBMITTED,
    LotStatus.VERIFYING,
    LotStatus.VERIFIED,
    LotStatus.DISCREPANCY,
)
# Test data may be added while the lot is still being prepared or checked.
UPLOADABLE_LOT_STATUSES = (LotStatus.DRAFT, *PIPELINE_LOT_STATUSES, LotStatus.LISTED)


class HistoryEventKind(models.TextChoices):
    MANUFACTURED = "manufactured", "Manufactured"
    IN_SERVICE = "in_service", "In service"
    REMOVED = "removed", "Removed from service"
    ACCIDENT = "accident", "Accident / crash damage"
    THERMAL_EVENT = "thermal_event", "Thermal event"
    SWELLING = "swelling", "Swelling"
    LEAK = "leak", "Electrolyte leak"
    DEEP_DISCHARGE = "deep_discharge", "Deep discharge"
    FLOOD = "flood", "Flood"
    STORAGE = "storage", "Storage"
    REPAIR = "repair", "Repair"
    CUSTODY_TRANSFER = "custody_transfer", "Custody transfer"
    TEST = "test", "Test"


# History event kinds -> the routing engine's event names.
ROUTING_EVENT_NAMES = {
    HistoryEventKind.ACCIDENT: "crash-damage",
    HistoryEventKind.THERMAL_EVENT: "thermal-event",
    HistoryEventKind.SWELLING: "swelling",
    HistoryEventKind.LEAK: "leak",
    HistoryEventKind.FLOOD: "flood",
    HistoryEventKind.DEEP_DISCHARGE: "deep-discharge",
}


class DocumentKind(models.TextChoices):
    SAFETY_DATA_SHEET = "safety_data_sheet", "Safety data sheet"
    UN38_3_SUMMARY = "un38_3_summary", "UN 38.3 test summary"
    DECLARATION_OF_CONFORMITY = "declaration_of_conformity", "Declaration of conformity"
    PHOTO = "photo", "Photo"
    TEST_REPORT = "test_report", "Test report"
    OTHER = "other", "Other"


# After submission a lot's history only grows (a later test, a repair, a transfer), until the
# lot is withdrawn or sold: then its record is closed.
HISTORY_CLOSED_LOT_STATUSES = (LotStatus.WITHDRAWN, LotStatus.SOLD)


# What a lot created without a location says (a battery passport names none): it is a draft
# until its supplier sets where the packs are.
LOCATION_NOT_STATED = "Not stated (imported from a battery passport)"
