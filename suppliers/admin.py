"""Organisations and pack models are managed here; lots, their packs and history are shown but
not changed: a lot changes through the supplier's pages and the lifecycle, which audit it."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import HistoryEvent, Lot, Membership, Organisation, Pack, PackModel


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
    ]
    list_filter = ["chemistry", "manufacturer"]
    search_fields = ["manufacturer", "model"]


class PackInline(ReadOnlyInline):
    model = Pack


class HistoryInline(ReadOnlyInline):
    model = HistoryEvent
    fields = ["kind", "occurred_on", "pack", "actor", "vin", "notes"]


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
    inlines = [PackInline, HistoryInline]
