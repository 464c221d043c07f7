"""Evidence in the admin: shown, never edited. Test records are registered by the marketplace,
whose admin offers the auditors' re-run action (it re-runs the lot pipeline)."""

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from suppliers.selectors import SUPPLIER_KINDS

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
        "claimed_soh",
        "measured_soh",
        "difference",
        "verdict",
        "verdict_reason",
        "duplicate_link",
        "status",
        "rule_set_label",
        "finished_at",
    ]
    list_select_related = ["pack__lot", "duplicate_of__pack__lot"]
    search_fields = ["pack__serial", "pack__lot__reference", "pack__lot__supplier__name"]

    # Figures rounded to what they mean: a tenth of an SOH point, not 4.544013222808182.
    @admin.display(description="Claimed SOH", ordering="claimed_soh_pct")
    def claimed_soh(self, obj) -> str:
        return _percent(obj.claimed_soh_pct)

    @admin.display(description="Measured SOH", ordering="measured_soh_pct")
    def measured_soh(self, obj) -> str:
        return _percent(obj.measured_soh_pct)

    @admin.display(description="Measured - claimed", ordering="difference_pct_points")
    def difference(self, obj) -> str:
        value = obj.difference_pct_points
        return "—" if value is None else f"{round(value, 1) or 0.0:+.1f} points"

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


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


class SupplierListFilter(admin.RelatedFieldListFilter):
    """The lot's supplier, listing supplier organisations only (never a buyer)."""

    def field_choices(self, field, request, model_admin):
        return field.get_choices(
            include_blank=False,
            ordering=("name",),
            limit_choices_to={"kind__in": SUPPLIER_KINDS},
        )


@admin.register(Verification)
class VerificationAdmin(VerificationAdminBase):
    list_filter = ["verdict", "status", "rule_set_label"]


@admin.register(DiscrepancyClaim)
class DiscrepancyClaimAdmin(VerificationAdminBase):
    """The auditors' queue: claims the measurements contradict, evidence offered for two
    packs, and measurements waiting for their pack model's approval."""

    list_filter = ["verdict", "rule_set_label", ("pack__lot__supplier", SupplierListFilter)]

    def get_queryset(self, request):
        # Each pack's latest finished run only: a superseded run is history, not work.
        latest = (
            Verification.objects.filter(pack=OuterRef("pack"), status=VerificationStatus.DONE)
            .order_by("-finished_at", "-pk")
            .values("pk")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .filter(
                verdict__in=[*AUDIT_VERDICTS, Verdict.UNAPPROVED_MODEL],
                status=VerificationStatus.DONE,
            )
            .filter(pk=Subquery(latest))
        )
