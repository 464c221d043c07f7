from rest_framework import serializers

from routing.api.serializers import RoutingDecisionSerializer
from suppliers.choices import HistoryEventKind
from suppliers.models import HistoryEvent, Lot, Organisation, Pack, PackModel
from verification.api.serializers import VerificationSummarySerializer


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
        ]
        validators = []  # the service reports duplicates as a 400 with a clear message


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


class LotCreateSerializer(serializers.ModelSerializer):
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
            "quantity",
            "claimed_soh_pct",
            "price_per_kwh",
            "packs",
            "history",
        ]
        validators = []


class PackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pack
        fields = ["id", "serial", "claimed_soh_pct", "cycle_count"]


class LotSerializer(serializers.ModelSerializer):
    supplier = serializers.StringRelatedField()
    pack_model = PackModelSerializer()
    total_energy_kwh = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-lot-detail")

    class Meta:
        model = Lot
        fields = [
            "id",
            "url",
            "reference",
            "supplier",
            "pack_model",
            "location",
            "quantity",
            "total_energy_kwh",
            "claimed_soh_pct",
            "price_per_kwh",
            "status",
            "route",
            "route_provisional",
            "measured_soh_pct",
            "lowest_pack_soh_pct",
            "parent",
            "created_at",
        ]


class PackReportSerializer(serializers.Serializer):
    pack = PackSerializer()
    verification = VerificationSummarySerializer(allow_null=True)
    decision = RoutingDecisionSerializer(allow_null=True)


class LotDetailSerializer(LotSerializer):
    decision = serializers.SerializerMethodField()
    packs = serializers.SerializerMethodField()
    history = HistoryEventSerializer(many=True)

    class Meta(LotSerializer.Meta):
        fields = [*LotSerializer.Meta.fields, "decision", "packs", "history"]

    def _report(self, lot):
        from marketplace.selectors import lot_report

        cache = self.context.setdefault("_reports", {})
        if lot.pk not in cache:
            cache[lot.pk] = lot_report(lot=lot)
        return cache[lot.pk]

    def get_decision(self, lot) -> dict | None:
        decision = self._report(lot).decision
        return RoutingDecisionSerializer(decision).data if decision else None

    def get_packs(self, lot) -> list[dict]:
        return PackReportSerializer(self._report(lot).packs, many=True).data
