"""Evidence in the admin: shown, never edited. Test records are registered by the marketplace,
whose admin offers the auditors' re-run action (it re-runs the lot pipeline)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin

from .choices import AUDIT_VERDICTS, Verdict, VerificationStatus
from .models import DiscrepancyClaim, Measurement, Verification


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = ["test_record", "discharge_capacity_ah", "soh_pct", "cycle_used", "created_at"]
    list_select_related = ["test_record"]


class VerificationAdminBase(ReadOnlyAdmin):
    list_display = [
        "pk",
        "lot_reference",
        "pack",
        "claimed_soh_pct",
        "measured_soh_pct",
        "difference_pct_points",
        "verdict",
        "verdict_reason",
        "duplicate_link",
        "status",
        "rule_set_label",
        "finished_at",
    ]
    list_select_related = ["pack__lot", "duplicate_of__pack__lot"]
    search_fields = ["pack__serial", "pack__lot__reference", "pack__lot__supplier__name"]

    @admin.display(description="Same evidence as")
    def duplicate_link(self, obj) -> str:
        other = obj.duplicate_of
        if other is None:
            return "—"
        url = reverse("admin:verification_verification_change", args=[other.pk])
        return format_html(
            '<a href="{}">pack {} (lot {})</a>', url, other.pack.serial, other.pack.lot.reference
        )

    @admin.display(description="Lot", ordering="pack__lot__reference")
    def lot_reference(self, obj) -> str:
        return obj.pack.lot.reference


@admin.register(Verification)
class VerificationAdmin(VerificationAdminBase):
    list_filter = ["verdict", "status", "rule_set_label"]


@admin.register(DiscrepancyClaim)
class DiscrepancyClaimAdmin(VerificationAdminBase):
    """The auditors' queue: claims the measurements contradict, evidence offered for two
    packs, and measurements waiting for their pack model's approval."""

    list_filter = ["verdict", "rule_set_label", "pack__lot__supplier"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                verdict__in=[*AUDIT_VERDICTS, Verdict.UNAPPROVED_MODEL],
                status=VerificationStatus.DONE,
            )
        )
