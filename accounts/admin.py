from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import PersonalToken


@admin.register(PersonalToken)
class PersonalTokenAdmin(ReadOnlyAdmin):
    """Who holds which token, for whom and until when; never a digest, so the admin is no
    place to copy one from."""

    list_display = ["name", "user", "organisation", "created", "expiry", "last_used_at"]
    list_filter = ["organisation"]
    search_fields = ["name", "user__username"]
    fields = ["name", "user", "organisation", "token_key", "created", "expiry", "last_used_at"]
