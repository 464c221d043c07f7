from rest_framework import serializers

from verification.choices import TestDataFormat, TestLevel
from verification.models import Measurement, TestRecord, Verification


class MeasurementSerializer(serializers.ModelSerializer):
    soh_by_definition = serializers.DictField(
        source="figures.soh_by_definition",
        read_only=True,
        allow_null=True,
        help_text="SOH % of the same cycle by capacity (Ah / nominal Ah) and by energy "
        "(Wh / nominal Wh): the same pack gives different numbers; soh_pct is the one named "
        "by soh_definition",
    )
    soh_basis = serializers.DictField(
        source="figures.soh_basis",
        read_only=True,
        allow_null=True,
        help_text="How the SOH was obtained: test type, cycle used, C-rate, temperature",
    )

    class Meta:
        model = Measurement
        fields = [
            "format",
            "discharge_capacity_ah",
            "discharge_energy_wh",
            "nominal_capacity_ah",
            "soh_pct",
            "soh_definition",
            "soh_by_definition",
            "soh_basis",
            "cycle_used",
            "sample_count",
            "c_rate",
            "max_temperature_c",
            "resistance_mohm",
            "resistance_pulse_s",
            "resistance_ratio",
            "cell_spread_mv",
            "weakest_cell_soh_pct",
            "bms_soh_pct",
            "units",
            "warnings",
            # Not the fingerprint: it would tell anyone what to forge to match another pack's
            # measurement. Auditors see it in the admin.
            "figures",
        ]


class MeasurementBriefSerializer(MeasurementSerializer):
    """A measurement in a list of packs (the lot detail): every column, but not `figures`,
    the per-cycle table, curves and DCIR steps that grow with the test. They are served for
    one pack at a time by `GET /api/packs/{id}/figures/`."""

    soh_by_definition = serializers.DictField(
        source="brief.soh_by_definition",
        read_only=True,
        allow_null=True,
        help_text=MeasurementSerializer._declared_fields["soh_by_definition"].help_text,
    )
    soh_basis = serializers.DictField(
        source="brief.soh_basis",
        read_only=True,
        allow_null=True,
        help_text=MeasurementSerializer._declared_fields["soh_basis"].help_text,
    )
    cycle_count = serializers.IntegerField(
        source="brief.cycle_count", read_only=True, help_text="Cycles in the per-cycle table"
    )

    class Meta(MeasurementSerializer.Meta):
        fields = [
            *(f for f in MeasurementSerializer.Meta.fields if f != "figures"),
            "cycle_count",
        ]


class VerificationSummarySerializer(serializers.ModelSerializer):
    measurement = MeasurementSerializer(allow_null=True)
    rule_set = serializers.CharField(source="rule_set_label", read_only=True)

    class Meta:
        model = Verification
        fields = [
            "id",
            "status",
            "verdict",
            "verdict_reason",
            # Not duplicate_of: the other pack's run may be another organisation's. Auditors
            # follow the link in their queue.
            "claimed_soh_pct",
            "measured_soh_pct",
            "difference_pct_points",
            "tolerance_pct_points",
            "rule_set",
            "measurement",
            "finished_at",
        ]


class VerificationBriefSerializer(VerificationSummarySerializer):
    """A verification in a list of packs: its measurement without the heavy figures (read
    with verification.selectors.verifications_light)."""

    measurement = MeasurementBriefSerializer(allow_null=True)


class VerificationHistorySerializer(VerificationSummarySerializer):
    class Meta(VerificationSummarySerializer.Meta):
        fields = [*VerificationSummarySerializer.Meta.fields, "error", "test_record"]


class TestRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = TestRecord
        fields = [
            "id",
            "pack",
            "original_name",
            "format",
            "test_level",
            "sha256",
            "size_bytes",
            "uploaded_at",
            "status",
            "error",
        ]
        read_only_fields = fields


class TestRecordUploadedSerializer(TestRecordSerializer):
    """The answer to an upload: the new record (201), or the earlier upload of the same file
    for the same pack (200, `already_uploaded`), which a client's retry can follow."""

    already_uploaded = serializers.BooleanField(read_only=True, default=False)
    detail = serializers.CharField(read_only=True, default="")

    class Meta(TestRecordSerializer.Meta):
        fields = [*TestRecordSerializer.Meta.fields, "already_uploaded", "detail"]
        read_only_fields = fields


class TestRecordUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=TestDataFormat.choices, default=TestDataFormat.AUTO)
    test_level = serializers.ChoiceField(
        choices=TestLevel.choices,
        default=TestLevel.PACK,
        help_text="cell or module: shown as cell evidence, never confirms the pack's claim",
    )
