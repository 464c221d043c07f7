"""Rule sets change only through the versioned editor (/routing/rule-sets/edit/), decisions only
through the lot pipeline: the admin shows both."""

import json

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
    # The rules in words, as the admin showed the stored words before they were stored compactly.
    fields = [
        "lot", "pack", "rule_set", "route", "provisional", "warranty", "rules_in_words",
        "soh_pct_used",
    ]  # fmt: skip
    readonly_fields = ["rules_in_words"]

    @admin.display(description="Rules")
    def rules_in_words(self, obj: RoutingDecision) -> str:
        return json.dumps(obj.rules, ensure_ascii=False)


@admin.register(RerouteJob)
class RerouteJobAdmin(ReadOnlyAdmin):
    list_display = ["rule_set", "status", "processed_lots", "total_lots", "changed_lots"]
    list_filter = ["status"]
    list_select_related = ["rule_set"]
