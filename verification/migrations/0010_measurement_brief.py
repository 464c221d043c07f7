from django.db import migrations, models

BATCH = 2000

# verification.models.brief_entries, as the database computes it (one statement, at any size).
BRIEF_SQL = """
UPDATE verification_measurement SET brief = jsonb_build_object(
    'soh_by_definition', figures -> 'soh_by_definition',
    'soh_basis', figures -> 'soh_basis',
    'weakest_cell_index', figures #> '{weakest_cell,index}',
    'cycle_count', jsonb_array_length(cycles)
)
"""


def brief_from_figures(apps, schema_editor):
    """Earlier measurements: the entries their figures document and per-cycle table hold."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BRIEF_SQL)
        return
    Measurement = apps.get_model("verification", "Measurement")
    changed = []
    for row in Measurement.objects.only("pk", "figures", "cycles").iterator(chunk_size=BATCH):
        figures = row.figures or {}
        row.brief = {
            "soh_by_definition": figures.get("soh_by_definition"),
            "soh_basis": figures.get("soh_basis"),
            "weakest_cell_index": (figures.get("weakest_cell") or {}).get("index"),
            "cycle_count": len(row.cycles or []),
        }
        changed.append(row)
        if len(changed) >= BATCH:
            Measurement.objects.bulk_update(changed, ["brief"])
            changed = []
    Measurement.objects.bulk_update(changed, ["brief"])


class Migration(migrations.Migration):
    dependencies = [("verification", "0009_measurement_discharge_energy")]

    operations = [
        migrations.AddField(
            model_name="measurement",
            name="brief",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="SOH by definition and basis, weakest cell, cycles",
            ),
        ),
        migrations.RunPython(brief_from_figures, migrations.RunPython.noop),
    ]
