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
