from django.contrib import admin

from .models import PassportDocument


@admin.register(PassportDocument)
class PassportDocumentAdmin(admin.ModelAdmin):
    """Evidence of what was issued and imported: shown, never edited."""

    list_display = ("passport_identifier", "kind", "direction", "pack", "created_at")
    list_filter = ("kind", "direction")
    search_fields = ("passport_identifier", "pack__serial")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
