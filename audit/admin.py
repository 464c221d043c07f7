from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Evidence to read: nobody adds, changes or deletes entries here, superusers included."""

    list_display = [
        "seq",
        "created_at",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "scope",
        "reason",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["=object_id", "=scope", "actor_name"]
    ordering = ["-seq"]
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
    # Counting millions of rows on every page load buys nothing here.
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
