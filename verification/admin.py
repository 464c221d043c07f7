from django.contrib import admin, messages

from suppliers.errors import ApplicationError

from .choices import Verdict, VerificationStatus
from .models import DiscrepancyClaim, Measurement, TestRecord, Verification
from .services import test_record_rerun


@admin.register(TestRecord)
class TestRecordAdmin(admin.ModelAdmin):
    list_display = ["original_name", "pack", "format", "size_bytes", "status", "uploaded_at"]
    list_filter = ["status", "format"]
    search_fields = ["original_name", "sha256", "pack__serial", "pack__lot__reference"]
    readonly_fields = [f.name for f in TestRecord._meta.fields]
    list_select_related = ["pack"]
    actions = ["rerun_verification"]

    @admin.action(description="Re-run verification of the selected failed uploads")
    def rerun_verification(self, request, queryset) -> None:
        rerun, refused = 0, []
        for record in queryset:
            try:
                test_record_rerun(user=request.user, test_record_id=record.pk)
                rerun += 1
            except ApplicationError as exc:
                refused.append(exc.message)
        if rerun:
            self.message_user(request, f"{rerun} upload(s) sent back to the workers.")
        for message in refused:
            self.message_user(request, message, level=messages.WARNING)


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["test_record", "discharge_capacity_ah", "soh_pct", "cycle_used", "created_at"]
    readonly_fields = [f.name for f in Measurement._meta.fields]


class VerificationAdminBase(admin.ModelAdmin):
    list_display = [
        "pk",
        "lot_reference",
        "pack",
        "claimed_soh_pct",
        "measured_soh_pct",
        "difference_pct_points",
        "verdict",
        "status",
        "rule_set",
        "finished_at",
    ]
    list_select_related = ["pack__lot", "rule_set"]
    search_fields = ["pack__serial", "pack__lot__reference", "pack__lot__supplier__name"]
    readonly_fields = [f.name for f in Verification._meta.fields]

    @admin.display(description="Lot", ordering="pack__lot__reference")
    def lot_reference(self, obj) -> str:
        return obj.pack.lot.reference

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Verification)
class VerificationAdmin(VerificationAdminBase):
    list_filter = ["verdict", "status", "rule_set"]


@admin.register(DiscrepancyClaim)
class DiscrepancyClaimAdmin(VerificationAdminBase):
    list_filter = ["rule_set", "pack__lot__supplier"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(verdict=Verdict.DISCREPANCY, status=VerificationStatus.DONE)
        )
