from django.db import migrations, models

BATCH = 2000


def energy_from_cycles(apps, schema_editor):
    """Earlier measurements keep the chosen cycle's energy in their per-cycle table."""
    Measurement = apps.get_model("verification", "Measurement")
    rows = Measurement.objects.filter(cycle_used__isnull=False).only("pk", "cycle_used", "cycles")
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        cycle = next((c for c in row.cycles if c.get("cycle") == row.cycle_used), None)
        energy = cycle.get("discharge_energy_wh") if cycle else None
        if energy is not None and energy > 0:
            row.discharge_energy_wh = float(energy)
            changed.append(row)
        if len(changed) >= BATCH:
            Measurement.objects.bulk_update(changed, ["discharge_energy_wh"])
            changed = []
    Measurement.objects.bulk_update(changed, ["discharge_energy_wh"])


class Migration(migrations.Migration):
    dependencies = [("verification", "0008_evidence_outlives_its_pack")]

    operations = [
        migrations.AddField(
            model_name="measurement",
            name="discharge_energy_wh",
            field=models.FloatField(
                help_text="Energy delivered by the full discharge that gave the capacity",
                null=True,
            ),
        ),
        migrations.RunPython(energy_from_cycles, migrations.RunPython.noop),
    ]
