from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import AnswerFile, Notification, SupplierAnswer, SupplierRequest


class SupplierAnswerInline(ReadOnlyInline):
    model = SupplierAnswer
    fields = ["author", "created_at", "text"]


@admin.register(SupplierRequest)
class SupplierRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "lot", "pack", "kind", "status", "asked_by", "asked_at", "answered_at"]
    list_filter = ["kind", "status"]
    search_fields = ["lot__reference", "text"]
    inlines = [SupplierAnswerInline]


@admin.register(AnswerFile)
class AnswerFileAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "answer", "size_bytes", "sha256"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "lot", "message", "created_at", "read_at", "emailed_at"]
    list_filter = ["read_at"]
