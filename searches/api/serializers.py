from django.urls import reverse
from rest_framework import serializers

from ..models import SavedSearch
from ..services import NAME_MAX_LENGTH


class SavedSearchSerializer(serializers.ModelSerializer):
    browse_url = serializers.SerializerMethodField(help_text="The browse page with these filters")
    api_url = serializers.SerializerMethodField(help_text="The lot list API with these filters")

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "email", "created_at", "browse_url", "api_url"]
        read_only_fields = fields

    def _with_query(self, url_name: str, search: SavedSearch) -> str:
        url = reverse(url_name)
        return f"{url}?{search.query}" if search.query else url

    def get_browse_url(self, search: SavedSearch) -> str:
        return self._with_query("lot-browse", search)

    def get_api_url(self, search: SavedSearch) -> str:
        return self._with_query("api-lot-list", search)


class SavedSearchCreateSerializer(serializers.Serializer):
    query = serializers.CharField(
        allow_blank=True,
        trim_whitespace=True,
        max_length=2000,
        help_text="The browse page's query string, e.g. chemistry=LFP&soh_min=80 (the lot "
        "list's filter parameters); empty for every verified lot",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=NAME_MAX_LENGTH,
        help_text="Defaults to the filters in words",
    )  # fmt: skip
    email = serializers.BooleanField(
        required=False, default=True, help_text="Also send each notice by email"
    )


class SavedSearchUpdateSerializer(serializers.Serializer):
    email = serializers.BooleanField(help_text="Also send each notice by email")
