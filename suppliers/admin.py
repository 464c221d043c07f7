from django.contrib import admin

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


class PackInline(admin.TabularInline):
    model = Pack
    extra = 0


class HistoryInline(admin.TabularInline):
    model = HistoryEvent
    extra = 0
    fields = ["kind", "occurred_on", "pack", "actor", "vin", "notes"]


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "supplier",
        "pack_model",
        "quantity",
        "claimed_soh_pct",
        "measured_soh_pct",
        "route",
        "route_provisional",
        "status",
    ]
    list_filter = ["status", "route", "pack_model__chemistry", "supplier"]
    search_fields = ["reference", "supplier__name", "location"]
    list_select_related = ["supplier", "pack_model"]
    readonly_fields = [
        "route",
        "route_provisional",
        "measured_soh_pct",
        "lowest_pack_soh_pct",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [PackInline, HistoryInline]
