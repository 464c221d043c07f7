from rest_framework import serializers

from ..choices import DEFAULT_TOKEN_LIFETIME, TokenLifetime
from ..models import PersonalToken


class PersonalTokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it later: never the secret, never its digest."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    starts_with = serializers.CharField(
        source="token_key", read_only=True, help_text="The secret's first characters."
    )

    class Meta:
        model = PersonalToken
        fields = [
            "id",
            "name",
            "organisation",
            "organisation_name",
            "starts_with",
            "created",
            "expiry",
            "last_used_at",
        ]
        read_only_fields = fields


class PersonalTokenCreateSerializer(serializers.Serializer):
    # Blank and missing names reach the service, which says what a good name is.
    name = serializers.CharField(required=False, allow_blank=True, default="")
    organisation = serializers.IntegerField(
        required=False,
        help_text="The id of the organisation the token acts for; may be left out when you "
        "belong to one organisation only.",
    )
    lifetime_days = serializers.ChoiceField(
        choices=TokenLifetime.choices, default=DEFAULT_TOKEN_LIFETIME
    )


class PersonalTokenCreatedSerializer(PersonalTokenSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Shown in this answer only: store it now."
    )

    class Meta(PersonalTokenSerializer.Meta):
        fields = [*PersonalTokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields
