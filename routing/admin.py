from django.contrib import admin

from .models import RoutingDecision, RuleSet


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "is_active", "created_at"]
    list_filter = ["is_active"]


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    list_display = ["lot", "pack", "route", "provisional", "rule_set", "created_at"]
    list_filter = ["route", "provisional", "rule_set"]
    list_select_related = ["lot", "pack", "rule_set"]
    readonly_fields = [f.name for f in RoutingDecision._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
