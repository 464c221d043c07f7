"""Rule sets change only through the versioned editor (/routing/rule-sets/edit/), decisions only
through the lot pipeline: the admin shows both."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import RerouteJob, RoutingDecision, RuleSet


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "is_active", "created_by", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["created_by"]


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(ReadOnlyAdmin):
    list_display = ["lot", "pack", "route", "provisional", "rule_set", "created_at"]
    list_filter = ["route", "provisional", "rule_set"]
    list_select_related = ["lot", "pack", "rule_set"]


@admin.register(RerouteJob)
class RerouteJobAdmin(ReadOnlyAdmin):
    list_display = ["rule_set", "status", "processed_lots", "total_lots", "changed_lots"]
    list_filter = ["status"]
    list_select_related = ["rule_set"]
