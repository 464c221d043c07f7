from rest_framework import serializers

from routing.choices import RouteChoice

from ..choices import Decision, SupplierRequestKind
from ..models import AnswerFile, SupplierAnswer, SupplierRequest


class AnswerFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnswerFile
        fields = ["id", "original_name", "size_bytes", "sha256"]
        read_only_fields = fields


class SupplierAnswerSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", read_only=True)
    files = AnswerFileSerializer(many=True, read_only=True)

    class Meta:
        model = SupplierAnswer
        fields = ["id", "author", "created_at", "text", "files"]
        read_only_fields = fields


class SupplierRequestSerializer(serializers.ModelSerializer):
    lot_reference = serializers.CharField(source="lot.reference", read_only=True)
    pack_serial = serializers.CharField(source="pack.serial", read_only=True, default=None)
    asked_by = serializers.CharField(source="asked_by.get_username", read_only=True)
    answers = SupplierAnswerSerializer(many=True, read_only=True)

    class Meta:
        model = SupplierRequest
        fields = [
            "id", "lot", "lot_reference", "pack", "pack_serial", "kind", "status", "text",
            "asked_by", "asked_at", "answered_at", "closed_at", "answers",
        ]  # fmt: skip
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField()


class RequestCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SupplierRequestKind.choices)
    text = serializers.CharField()
    pack = serializers.IntegerField(required=False, allow_null=True)


class AnswerCreateSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class RouteOverrideSerializer(serializers.Serializer):
    route = serializers.ChoiceField(
        choices=[("", "the rules' route"), *RouteChoice.choices], allow_blank=True
    )
    reason = serializers.CharField()


class QueueItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    lot = serializers.IntegerField(source="lot.pk")
    lot_reference = serializers.CharField(source="lot.reference")
    pack = serializers.IntegerField(source="pack.pk", default=None)
    pack_serial = serializers.CharField(source="pack.serial", default=None)
    supplier = serializers.CharField(source="supplier.name")
    chemistry = serializers.CharField()
    since = serializers.DateTimeField()
    age_days = serializers.IntegerField()
    link = serializers.CharField()
