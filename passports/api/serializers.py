from rest_framework import serializers


class ProblemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Dotted path in the document; empty: the document")
    message = serializers.CharField()


class PassportRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ProblemSerializer(many=True)


class PassportImportSerializer(serializers.Serializer):
    document = serializers.JSONField(help_text="A Catena-X BatteryPass 6.1.0 document")
    supplier = serializers.SlugField(
        required=False,
        help_text="Slug of your supplier organisation; needed only if you belong to several",
    )
    lot = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Reference of your draft lot to add the pack to. Blank: a pack already "
        "listed stays in its lot; a new one gets a new draft lot",
    )


class PassportImportResultSerializer(serializers.Serializer):
    pack = serializers.IntegerField(source="pack.pk")
    serial = serializers.CharField(source="pack.serial")
    lot = serializers.IntegerField(source="lot.pk")
    lot_reference = serializers.CharField(source="lot.reference")
    pack_created = serializers.BooleanField()
    lot_created = serializers.BooleanField()
    pack_model_proposed = serializers.BooleanField()
    passport_identifier = serializers.CharField(source="record.passport_identifier")
    warnings = serializers.ListField(child=serializers.CharField())
