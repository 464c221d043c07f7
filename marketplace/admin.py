from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError
from verification.choices import TestRecordStatus
from verification.models import TestRecord

from .models import LotOfferEvent, LotSummary
from .services import test_record_rerun


@admin.register(TestRecord)
class TestRecordAdmin(ReadOnlyAdmin):
    """Uploads, shown as evidence. Registered here rather than in verification because its one
    action, re-running a failed upload, re-runs the lot pipeline."""

    list_display = ["original_name", "pack", "format", "size_bytes", "status", "uploaded_at"]
    list_filter = ["status", "format"]
    search_fields = ["original_name", "sha256", "pack__serial", "pack__lot__reference"]
    list_select_related = ["pack"]
    actions = ["rerun_verification"]

    @admin.action(description="Re-run verification of the selected failed uploads")
    def rerun_verification(self, request, queryset) -> None:
        rerun, refused = 0, []
        # Finished uploads are re-run from the auditors' review page, with a written reason.
        for record in queryset.filter(status=TestRecordStatus.FAILED):
            try:
                test_record_rerun(
                    user=request.user,
                    test_record_id=record.pk,
                    reason="failed upload re-run from the admin",
                )
                rerun += 1
            except ApplicationError as exc:
                refused.append(exc.message)
        if rerun:
            self.message_user(request, f"{rerun} upload(s) sent back to the workers.")
        for message in refused:
            self.message_user(request, message, level=messages.WARNING)


@admin.register(LotSummary)
class LotSummaryAdmin(ReadOnlyAdmin):
    list_display = ["lot", "route", "route_provisional", "measured_soh_pct", "packs_measured"]
    list_filter = ["route", "route_provisional"]
    list_select_related = ["lot"]


@admin.register(LotOfferEvent)
class LotOfferEventAdmin(ReadOnlyAdmin):
    """What buyers were told about which lot, and whether it reached the saved searches."""

    list_display = ["lot", "event", "created_at", "relayed_at"]
    list_filter = ["event", ("relayed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["lot"]
    date_hierarchy = "created_at"
