from django.contrib import admin

from .models import IdempotencyKey


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence and verdicts in the admin: shown to staff, never added, edited or deleted there,
    superusers included. Changes go through the services, which leave an audit entry."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """Stored answers to API writes: evidence of what a retry was given."""

    list_display = ("created_at", "method", "path", "status_code", "user", "key")
    list_filter = ("method", "status_code")
    search_fields = ("key", "path")
    date_hierarchy = "created_at"
    exclude = ("body", "scope")
    readonly_fields = ("stored_body",)

    @admin.display(description="Body")
    def stored_body(self, obj: IdempotencyKey) -> str:
        return bytes(obj.body).decode("utf-8", errors="replace")[:10_000]
