"""The measurement's brief: the few entries of its figures a row about the run shows, stored
with every new measurement and filled in by the migration for earlier ones."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import measured_lot
from verification.models import Measurement, brief_entries

BEFORE = ("verification", "0009_measurement_discharge_energy")
BRIEF = ("verification", "0010_measurement_brief")


def test_an_upload_stores_its_brief(alice, volta, nmc_module, django_capture_on_commit_callbacks):
    measured_lot(
        supplier=volta, pack_model=nmc_module, soh_values=[83.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    measurement = Measurement.objects.get()
    assert measurement.brief == brief_entries(measurement.figures, measurement.cycles)
    assert measurement.brief["cycle_count"] == len(measurement.cycles) >= 2
    assert measurement.brief["soh_basis"]["cycle_used"] == measurement.cycle_used
    assert measurement.brief["soh_by_definition"]["capacity"] == pytest.approx(
        measurement.soh_pct, abs=0.05
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_brief_of_earlier_measurements(
    alice, volta, nmc_module, django_capture_on_commit_callbacks
):
    measured_lot(
        supplier=volta, pack_model=nmc_module, soh_values=[83.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    stored = Measurement.objects.get()
    expected = brief_entries(stored.figures, stored.cycles)
    # One without a weakest cell or a basis, as a BMS snapshot stores it.
    figures = {**stored.figures, "weakest_cell": None}
    figures.pop("soh_basis")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        old = executor.loader.project_state([BEFORE]).apps.get_model("verification", "Measurement")
        old.objects.filter(pk=stored.pk).update(figures=figures)
        executor = MigrationExecutor(connection)
        executor.migrate([BRIEF])
        brief = Measurement.objects.get(pk=stored.pk).brief
        assert brief == {**expected, "weakest_cell_index": None, "soh_basis": None}
        assert brief["cycle_count"] == len(stored.cycles) >= 2
    finally:
        call_command("migrate", verbosity=0)
