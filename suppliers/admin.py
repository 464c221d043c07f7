"""Organisations and pack models are managed here; lots, their packs, history and documents
are shown but not changed: a lot changes through the supplier's pages and the lifecycle, which
audit it."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Document, HistoryEvent, Lot, Membership, Organisation, Pack, PackModel


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(PackModel)
class PackModelAdmin(admin.ModelAdmin):
    list_display = [
        "manufacturer",
        "model",
        "chemistry",
        "nominal_voltage_v",
        "nominal_capacity_ah",
        "nominal_energy_kwh",
        "baseline_resistance_mohm",
        "approved",
    ]
    list_filter = [("approved_at", admin.EmptyFieldListFilter), "chemistry", "manufacturer"]
    search_fields = ["manufacturer", "model"]
    # Approval goes through the auditors' service (POST /api/pack-models/{id}/approve/), which
    # re-judges the measurements held back for the model and audits it.
    readonly_fields = ["approved_at", "approved_by", "approval_note"]

    @admin.display(boolean=True, description="Approved", ordering="approved_at")
    def approved(self, obj: PackModel) -> bool:
        return obj.is_approved

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_approved:
            # Measurements were judged against these ratings: a different rating is a
            # different pack model, not an edit.
            return [f.name for f in PackModel._meta.fields]
        return self.readonly_fields


class PackInline(ReadOnlyInline):
    model = Pack


class HistoryInline(ReadOnlyInline):
    model = HistoryEvent
    fields = ["kind", "occurred_on", "pack", "actor", "vin", "custody_from", "custody_to", "notes"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("pack")


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ["kind", "original_name", "pack", "history_event", "published", "uploaded_at"]
    readonly_fields = fields  # uploaded_at is not editable, so it can only be shown

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("pack", "history_event")


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "supplier",
        "pack_model",
        "quantity",
        "claimed_soh_pct",
        "status",
        "review_required",
    ]
    list_filter = ["status", "review_required", "pack_model__chemistry", "supplier"]
    search_fields = ["reference", "supplier__name", "location"]
    list_select_related = ["supplier", "pack_model"]
    inlines = [PackInline, HistoryInline, DocumentInline]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Documents are evidence: shown, never edited. The file is offered through the download
    view (which checks who asks), never as a public media URL."""

    list_display = ["original_name", "kind", "lot", "pack", "owner", "published", "uploaded_at"]
    list_filter = ["kind", "published", "content_type"]
    search_fields = ["original_name", "sha256", "lot__reference", "owner__name"]
    list_select_related = ["lot", "pack", "owner"]
    exclude = ["file"]
    readonly_fields = ["download"]

    @admin.display(description="File")
    def download(self, obj: Document) -> str:
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse("document-download", args=[obj.pk]),
            obj.original_name,
            obj.content_type,
        )
