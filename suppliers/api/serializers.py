from django_countries.serializers import CountryFieldMixin
from rest_framework import serializers

from suppliers.choices import HistoryEventKind
from suppliers.models import HistoryEvent, Lot, Organisation, Pack, PackModel


class PackModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = PackModel
        fields = [
            "id",
            "manufacturer",
            "model",
            "chemistry",
            "nominal_voltage_v",
            "nominal_capacity_ah",
            "nominal_energy_kwh",
            "cells_series",
            "cells_parallel",
            "baseline_resistance_mohm",
            "calendar_life_years",
            "approved",
            "approved_at",
            "approval_note",
            "proposed_by",
            "proposed_at",
        ]
        read_only_fields = ["approved_at", "approval_note", "proposed_by", "proposed_at"]
        validators = []  # the service reports duplicates as a 400 with a clear message

    # Only measurements against an approved model's nominal can confirm a claim.
    approved = serializers.SerializerMethodField()

    def get_approved(self, obj: PackModel) -> bool:
        return obj.approved_at is not None


class HistoryEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=HistoryEventKind.choices)

    class Meta:
        model = HistoryEvent
        fields = ["kind", "occurred_on", "actor", "vin", "custody_from", "custody_to", "notes"]


class PackInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pack
        fields = ["serial", "claimed_soh_pct", "cycle_count"]
        validators = []


class LotCreateSerializer(CountryFieldMixin, serializers.ModelSerializer):
    supplier = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        help_text="Defaults to your only supplier organisation",
    )
    packs = PackInputSerializer(many=True, allow_empty=False)
    history = HistoryEventSerializer(many=True, required=False)

    class Meta:
        model = Lot
        fields = [
            "supplier",
            "reference",
            "pack_model",
            "location",
            "description",
            "country",
            "latitude",
            "longitude",
            "quantity",
            "claimed_soh_pct",
            "price_per_kwh",
            "packs",
            "history",
        ]
        validators = []


class LotUpdateSerializer(CountryFieldMixin, serializers.ModelSerializer):
    """A draft's own fields, any subset (PATCH)."""

    class Meta:
        model = Lot
        fields = [
            "reference",
            "pack_model",
            "location",
            "description",
            "country",
            "latitude",
            "longitude",
            "quantity",
            "claimed_soh_pct",
            "price_per_kwh",
        ]
        validators = []


class PacksAddSerializer(serializers.Serializer):
    packs = PackInputSerializer(many=True, allow_empty=False)


class PackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pack
        fields = ["id", "serial", "claimed_soh_pct", "cycle_count"]
