"""Keyset pages of the browse list sorted by price per usable kWh or measured SOH: an index
per direction, lots without a value last, ties by lot id. PostgreSQL only (the embedded
SQLite default holds demo data)."""

from django.db import migrations

COLUMNS = ("price_per_usable_kwh", "measured_soh_pct")


def _indexes():
    for column in COLUMNS:
        yield f"lotsummary_{column}_asc", f"{column} ASC NULLS LAST, lot_id ASC"
        yield f"lotsummary_{column}_desc", f"{column} DESC NULLS LAST, lot_id DESC"


def sort_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in _indexes():
            schema_editor.execute(f"CREATE INDEX {name} ON marketplace_lotsummary ({columns})")


def sort_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _ in _indexes():
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_lot_summary_energy_history_search")]

    operations = [migrations.RunPython(sort_indexes, sort_indexes_drop)]
