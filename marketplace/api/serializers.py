from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEntry
from routing.api.serializers import PackDecisionSerializer, RoutingDecisionSerializer
from suppliers.api.serializers import HistoryEventSerializer, PackModelSerializer, PackSerializer
from suppliers.models import Lot
from verification.api.serializers import VerificationBriefSerializer

from ..selectors import lot_report


def _summary_pct(name: str) -> serializers.DecimalField:
    """One of the lot summary's SOH figures, empty until measured."""
    return serializers.DecimalField(
        source=f"summary.{name}",
        max_digits=5,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        default=None,
    )


def _summary_decimal(name: str, digits: int, places: int, help_text: str):
    return serializers.DecimalField(
        source=f"summary.{name}", max_digits=digits, decimal_places=places, read_only=True,
        allow_null=True, default=None, help_text=help_text,
    )  # fmt: skip


class LotSerializer(serializers.ModelSerializer):
    supplier = serializers.StringRelatedField()
    # The code as text: a country field with its 249 named choices costs every list request.
    country = serializers.CharField(
        read_only=True, help_text="ISO 3166 code of where the packs are; empty: not given"
    )
    pack_model = PackModelSerializer()
    total_energy_kwh = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-lot-detail")
    # The pipeline's read model of the lot: route and measured figures.
    route = serializers.CharField(source="summary.route", read_only=True, default="")
    # An auditor's route (with the reason) in place of the rules': a person's decision.
    route_set_by_auditor = serializers.SerializerMethodField()
    route_override_reason = serializers.CharField(read_only=True)
    route_provisional = serializers.BooleanField(
        source="summary.route_provisional", read_only=True, default=True
    )
    measured_soh_pct = _summary_pct("measured_soh_pct")
    lowest_pack_soh_pct = _summary_pct("lowest_pack_soh_pct")
    lowest_pack_serial = serializers.CharField(
        source="summary.lowest_pack_serial",
        read_only=True,
        default="",
        help_text="The pack the lowest measured SOH comes from",
    )
    highest_pack_soh_pct = _summary_pct("highest_pack_soh_pct")
    packs_measured = serializers.IntegerField(
        source="summary.packs_measured",
        read_only=True,
        default=0,
        help_text="Distinct packs with a complete, consistent measurement",
    )
    sample_size_required = serializers.IntegerField(
        source="summary.sample_size_required",
        read_only=True,
        default=0,
        help_text="Packs the rule set's sampling plan needs measured for a lot of this quantity",
    )
    usable_energy_kwh = _summary_decimal(
        "usable_energy_kwh", 9, 3, "Mean measured discharge energy per pack; null: not measured"
    )
    packs_energy_measured = serializers.IntegerField(
        source="summary.packs_energy_measured", read_only=True, default=0,
        help_text="Packs whose measured discharge energy gives usable_energy_kwh",
    )  # fmt: skip
    usable_energy_total_kwh = _summary_decimal(
        "usable_energy_total_kwh", 12, 3, "usable_energy_kwh times the packs offered"
    )
    price_per_usable_kwh = _summary_decimal(
        "price_per_usable_kwh", 11, 2, "The asking price over the measured energy (EUR)"
    )
    safety_events = serializers.IntegerField(
        source="summary.safety_events", read_only=True, default=0,
        help_text="Accidents, thermal events, swelling, leaks, floods, deep discharges on record",
    )  # fmt: skip
    custody_complete = serializers.BooleanField(
        source="summary.custody_complete", read_only=True, default=False,
        help_text="A known holder from manufacture to today, and a history that hangs together",
    )  # fmt: skip

    class Meta:
        model = Lot
        fields = [
            "id",
            "url",
            "reference",
            "supplier",
            "pack_model",
            "location",
            "description",
            "country",
            "latitude",
            "longitude",
            "quantity",
            "total_energy_kwh",
            "claimed_soh_pct",
            "price_per_kwh",
            "status",
            "route",
            "route_provisional",
            "route_set_by_auditor",
            "route_override_reason",
            "measured_soh_pct",
            "lowest_pack_soh_pct",
            "lowest_pack_serial",
            "highest_pack_soh_pct",
            "packs_measured",
            "sample_size_required",
            "usable_energy_kwh",
            "packs_energy_measured",
            "usable_energy_total_kwh",
            "price_per_usable_kwh",
            "safety_events",
            "custody_complete",
            "parent",
            "created_at",
        ]

    def get_route_set_by_auditor(self, lot: Lot) -> bool:
        return bool(lot.route_override)


class PackReportSerializer(serializers.Serializer):
    """One pack of the lot detail. Its heavy figures (per-cycle table, curves, DCIR steps)
    are not here: `figures_url` serves them for this pack."""

    pack = PackSerializer()
    verification = VerificationBriefSerializer(
        allow_null=True,
        help_text="The latest run that measured the pack's SOH; its measurement without "
        "`figures` (see figures_url)",
    )
    decision = PackDecisionSerializer(
        allow_null=True,
        help_text="The pack's latest decision: its route and the rules that fired; every rule "
        "checked, in words, is at figures_url (the lot's own decision carries them here)",
    )
    figures_url = serializers.SerializerMethodField(
        help_text="GET: the measurement's full figures (per-cycle table, voltage curve, DCIR "
        "steps) and the pack's decision; null while no test measured the pack"
    )

    def get_figures_url(self, row) -> str | None:
        if row.verification is None:
            return None
        url = reverse("api-pack-figures", args=[row.pack.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class LotDetailSerializer(LotSerializer):
    decision = serializers.SerializerMethodField()
    packs = serializers.SerializerMethodField()
    history = HistoryEventSerializer(many=True)

    class Meta(LotSerializer.Meta):
        fields = [*LotSerializer.Meta.fields, "decision", "packs", "history"]

    def _report(self, lot):
        cache = self.context.setdefault("_reports", {})
        if lot.pk not in cache:
            cache[lot.pk] = lot_report(lot=lot)
        return cache[lot.pk]

    def get_decision(self, lot) -> dict | None:
        decision = self._report(lot).decision
        return RoutingDecisionSerializer(decision).data if decision else None

    @extend_schema_field(PackReportSerializer(many=True))
    def get_packs(self, lot) -> list[dict]:
        return PackReportSerializer(self._report(lot).packs, many=True, context=self.context).data


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "created_at",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
            "reason",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PackModelApproveSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=2000, help_text="What the ratings were checked against (the maker's datasheet)"
    )


class ScorecardPartSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.FloatField()
    value = serializers.FloatField(allow_null=True, help_text="0..100; null: see reason")
    reason = serializers.CharField(
        required=False, help_text="How it was obtained (full view), or why there is no value"
    )
    inputs = serializers.DictField(required=False, help_text="Full view only")
    advice = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="What would raise it"
    )


class ScorecardSerializer(serializers.Serializer):
    """A supplier's scorecard: buyers get the score and its parts; the supplier's members and
    auditors get every part's inputs, advice and the monthly trends."""

    supplier = serializers.DictField()
    total = serializers.IntegerField(allow_null=True)
    total_reason = serializers.CharField()
    computed_at = serializers.DateTimeField()
    access = serializers.ChoiceField(choices=["full", "summary"])
    parts = ScorecardPartSerializer(many=True)
    trends = serializers.ListField(child=serializers.DictField(), required=False)
