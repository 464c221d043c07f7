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


def _batches(queryset, *fields):
    """Rows as value tuples (pk first), BATCH at a time in pk order."""
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _update(schema_editor, model, columns: list[str], rows: list[tuple]) -> None:
    """Set `columns` of each row (pk, *values; JSON columns as Python values) in one statement
    per batch: on PostgreSQL an UPDATE ... FROM (VALUES ...), which a large table needs (a
    CASE per row, as bulk_update writes it, grows with the square of the batch)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        objs = []
        for pk, *values in rows:
            obj = model(pk=pk)
            for column, value in zip(columns, values, strict=True):
                setattr(obj, column, value)
            objs.append(obj)
        model.objects.bulk_update(objs, columns)
        return
    fields = [model._meta.get_field(column) for column in columns]
    casts = ["::jsonb" if field.get_internal_type() == "JSONField" else "" for field in fields]
    row_sql = "(%s, " + ", ".join(f"%s{cast}" for cast in casts) + ")"
    params = []
    for pk, *values in rows:
        params.append(pk)
        for field, value in zip(fields, values, strict=True):
            params.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    sets = ", ".join(f"{name} = v.{name}" for name in map(connection.ops.quote_name, columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET {sets} FROM (VALUES {', '.join([row_sql] * len(rows))}) "
            f"AS v(id, {names}) WHERE d.id = v.id",
            params,
        )


def words_to_compact(apps, schema_editor):
    RoutingDecision = apps.get_model("routing", "RoutingDecision")
    thresholds = _thresholds(apps)
    for batch in _batches(RoutingDecision.objects.all(), "rule_set_id", "rules"):
        rows = []
        for pk, rule_set_id, words in batch:
            rule_set = thresholds.get(rule_set_id)
            stored = stored_from_words(words, rule_set) if rule_set is not None else None
            if stored is None:
                rows.append((pk, "", [], words))
            else:
                rows.append((pk, *stored, None))
        _update(schema_editor, RoutingDecision, ["outcomes", "figures", "words_kept"], rows)


def compact_to_words(apps, schema_editor):
    RoutingDecision = apps.get_model("routing", "RoutingDecision")
    thresholds = _thresholds(apps)
    fields = ("rule_set_id", "outcomes", "figures", "words_kept")
    for batch in _batches(RoutingDecision.objects.all(), *fields):
        rows = []
        for pk, rule_set_id, outcomes, figures, words_kept in batch:
            if words_kept is None:
                checks = stored_checks(outcomes, figures, thresholds[rule_set_id])
                words_kept = [check.to_dict() for check in checks]
            rows.append((pk, words_kept))
        _update(schema_editor, RoutingDecision, ["rules"], rows)


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
