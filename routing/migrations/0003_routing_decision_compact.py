"""Decisions stored compactly: each rule's outcome letter and figures in place of its words.

Each stored decision's words are read back into the compact form under its own rule set
(routing.domain.stored.stored_from_words), which accepts a reading only if it renders exactly
the words stored; a decision it cannot read that way keeps its words in `words_kept`. Reversible:
going back renders the words again.
"""

from django.db import migrations, models

from routing.domain import Thresholds
from routing.domain.stored import stored_checks, stored_from_words

BATCH = 2000


def _thresholds(apps) -> dict[int, Thresholds | None]:
    RuleSet = apps.get_model("routing", "RuleSet")
    found: dict[int, Thresholds | None] = {}
    for pk, thresholds in RuleSet.objects.values_list("pk", "thresholds"):
        try:
            found[pk] = Thresholds.from_dict(thresholds)
        except ValueError:
            found[pk] = None  # its decisions keep their words
    return found


def _in_batches(queryset):
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def words_to_compact(apps, schema_editor):
    RoutingDecision = apps.get_model("routing", "RoutingDecision")
    thresholds = _thresholds(apps)
    rows = RoutingDecision.objects.only("pk", "rule_set_id", "rules")
    for batch in _in_batches(rows):
        for row in batch:
            rule_set = thresholds.get(row.rule_set_id)
            stored = stored_from_words(row.rules, rule_set) if rule_set is not None else None
            if stored is None:
                row.outcomes, row.figures, row.words_kept = "", [], row.rules
            else:
                (row.outcomes, row.figures), row.words_kept = stored, None
        RoutingDecision.objects.bulk_update(batch, ["outcomes", "figures", "words_kept"])


def compact_to_words(apps, schema_editor):
    RoutingDecision = apps.get_model("routing", "RoutingDecision")
    thresholds = _thresholds(apps)
    rows = RoutingDecision.objects.only("pk", "rule_set_id", "outcomes", "figures", "words_kept")
    for batch in _in_batches(rows):
        for row in batch:
            if row.words_kept is not None:
                row.rules = row.words_kept
            else:
                checks = stored_checks(row.outcomes, row.figures, thresholds[row.rule_set_id])
                row.rules = [check.to_dict() for check in checks]
        RoutingDecision.objects.bulk_update(batch, ["rules"])


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0002_rule_set_sample_plan"),
    ]

    operations = [
        migrations.AlterField(
            model_name="routingdecision",
            name="rules",
            field=models.JSONField(
                null=True, help_text="Every rule checked, with threshold, value and outcome"
            ),
        ),
        migrations.AddField(
            model_name="routingdecision",
            name="outcomes",
            field=models.CharField(blank=True, help_text="One letter per rule", max_length=8),
        ),
        migrations.AddField(
            model_name="routingdecision",
            name="figures",
            field=models.JSONField(
                blank=True, default=list, help_text="The figures each rule showed"
            ),
        ),
        migrations.AddField(
            model_name="routingdecision",
            name="words_kept",
            field=models.JSONField(
                blank=True,
                help_text="Only for a decision stored as words before that its rule set no "
                "longer renders exactly: those words, as they were",
                null=True,
            ),
        ),
        migrations.RunPython(words_to_compact, compact_to_words),
        migrations.RemoveField(model_name="routingdecision", name="rules"),
    ]
