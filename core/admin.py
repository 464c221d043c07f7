from django.contrib import admin


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
