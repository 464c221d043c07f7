from rest_framework import serializers

from routing.models import RoutingDecision


class RuleCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    threshold = serializers.CharField()
    value = serializers.CharField()
    outcome = serializers.CharField()
    explanation = serializers.CharField()


class RoutingDecisionSerializer(serializers.ModelSerializer):
    rule_set = serializers.StringRelatedField()
    rules = RuleCheckSerializer(many=True)

    class Meta:
        model = RoutingDecision
        fields = ["route", "provisional", "warranty", "rule_set", "rules", "created_at"]


class PackDecisionSerializer(serializers.ModelSerializer):
    """A pack's decision in a list of packs (the lot detail): the route and which rules fired;
    every rule checked, in words, is in the pack's `GET /api/packs/{id}/figures/`."""

    rule_set = serializers.StringRelatedField()
    fired_rules = serializers.ListField(
        source="fired_rule_names",
        child=serializers.CharField(),
        read_only=True,
        help_text="Names of the rules that decided the route",
    )

    class Meta:
        model = RoutingDecision
        fields = ["route", "provisional", "warranty", "rule_set", "fired_rules", "created_at"]
