"""The pipeline in-process (Celery eager): upload -> parse -> measure -> verify -> route."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from core.errors import ApplicationError
from marketplace import pipeline, services, tasks
from marketplace.lifecycle import lot_scope
from routing.models import RoutingDecision
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot
from verification.choices import TestRecordStatus, Verdict, VerificationStatus
from verification.models import TestRecord, Verification


@pytest.fixture
def lot(volta, lfp_telecom_pack):
    # One pack: the sampling plan asks for that one (a larger lot's sample is tested apart).
    return LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=85, quantity=1)


@pytest.fixture
def pack(lot):
    return PackFactory(lot=lot, serial="P-1")


def upload(user, pack, file, callbacks):
    with callbacks(execute=True):
        record = services.test_data_upload(user=user, pack=pack, uploaded_file=file)
    record.refresh_from_db()
    return record


def test_upload_measures_verifies_and_routes(
    alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    record = upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
        django_capture_on_commit_callbacks,
    )
    assert record.status == TestRecordStatus.DONE, record.error
    run = Verification.objects.get(pack=pack)
    assert run.status == VerificationStatus.DONE
    assert run.measured_soh_pct == pytest.approx(84.0, abs=0.5)
    assert run.verdict == Verdict.CONFIRMED
    assert run.measurement.discharge_capacity_ah == pytest.approx(84.0, abs=0.5)
    decision = RoutingDecision.objects.get(pack=pack)
    assert decision.route == "reuse-ESS"
    assert decision.provisional is False
    assert any(rule["outcome"] == "fired" for rule in decision.rules)
    pack.lot.refresh_from_db()
    assert pack.lot.status == LotStatus.VERIFIED
    assert pack.lot.summary.route == "reuse-ESS"
    assert float(pack.lot.summary.measured_soh_pct) == pytest.approx(84.0, abs=0.5)


def test_claim_far_from_measurement_goes_to_the_auditors(
    alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=70.0, pack_model=lfp_telecom_pack),
        django_capture_on_commit_callbacks,
    )
    run = Verification.objects.get(pack=pack)
    assert run.verdict == Verdict.DISCREPANCY
    assert run.difference_pct_points == pytest.approx(-15.0, abs=0.6)
    pack.lot.refresh_from_db()
    assert pack.lot.status == LotStatus.DISCREPANCY
    # The route follows what was measured; the auditors settle the claim.
    assert pack.lot.summary.route == "reuse-ESS"
    assert pack.lot.summary.route_provisional is False


def test_new_data_reruns_and_keeps_history(
    alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack, seed=1),
        django_capture_on_commit_callbacks,
    )
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=50.0, pack_model=lfp_telecom_pack, seed=2),
        django_capture_on_commit_callbacks,
    )
    runs = Verification.objects.filter(pack=pack).order_by("finished_at")
    assert [round(r.measured_soh_pct) for r in runs] == [84, 50]
    routes = list(
        RoutingDecision.objects.filter(pack=pack)
        .order_by("created_at")
        .values_list("route", flat=True)
    )
    assert routes == ["reuse-ESS", "small-application"]
    pack.lot.refresh_from_db()
    assert pack.lot.summary.route == "small-application"


def test_running_twice_does_the_work_once(
    alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    record = upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
        django_capture_on_commit_callbacks,
    )
    pipeline.test_record_verify(test_record_id=record.pk)
    assert Verification.objects.count() == 1
    assert RoutingDecision.objects.filter(pack=pack).count() == 1


def test_the_same_file_again_for_the_same_pack_is_refused_as_already_uploaded(
    alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    first = upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
        django_capture_on_commit_callbacks,
    )
    with pytest.raises(ApplicationError, match="already uploaded for pack P-1"):
        upload(
            alice,
            pack,
            capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
            django_capture_on_commit_callbacks,
        )
    assert list(TestRecord.objects.values_list("pk", flat=True)) == [first.pk]
    assert Verification.objects.count() == 1


BAD_FILES = {
    "empty": (b"", "empty"),
    "header only": (b"time_s,current_a,voltage_v,cycle,step\n", "no data rows"),
    "missing column": (b"time_s,current_a,cycle,step\n0,1,1,1\n", "voltage_v"),
    "not a number": (
        b"time_s,current_a,voltage_v,cycle,step\n"
        + b"".join(f"{i},-10,51.0,1,1\n".encode() for i in range(15))
        + b"15,-10,abc,1,1\n",
        "row 17: voltage_v is not a number",
    ),
    "millivolts": (b"time_s,current_a,voltage_v,cycle,step\n0,-10,51200,1,1\n", "millivolts"),
    "binary": (bytes(range(256)) * 64, "UTF-8"),
    "no discharge": (
        b"time_s,current_a,voltage_v,cycle,step\n0,5,51,1,1\n10,5,52,1,1\n",
        "no discharge",
    ),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_stored_with_a_clear_error(
    alice, pack, name, django_capture_on_commit_callbacks
):
    content, message = BAD_FILES[name]
    record = upload(
        alice, pack, SimpleUploadedFile(f"{name}.csv", content), django_capture_on_commit_callbacks
    )
    assert record.status == TestRecordStatus.FAILED
    assert message in record.error
    assert record.file.size == len(content)
    pack.lot.refresh_from_db()
    assert pack.lot.status == LotStatus.SUBMITTED
    assert not RoutingDecision.objects.filter(pack=pack).exists()


def test_ten_megabytes_of_junk_fails_cleanly(alice, pack, django_capture_on_commit_callbacks):
    junk = (b"x" * 1023 + b"\n") * 10 * 1024 + b"\x00"
    record = upload(
        alice, pack, SimpleUploadedFile("junk.csv", junk), django_capture_on_commit_callbacks
    )
    assert record.status == TestRecordStatus.FAILED
    assert record.error


def test_a_failed_upload_keeps_earlier_results(
    alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
        django_capture_on_commit_callbacks,
    )
    upload(
        alice, pack, SimpleUploadedFile("bad.csv", b"nonsense"), django_capture_on_commit_callbacks
    )
    pack.lot.refresh_from_db()
    assert pack.lot.status == LotStatus.VERIFIED
    assert pack.lot.summary.route == "reuse-ESS"


def test_only_the_supplier_uploads(rob, pack, lfp_telecom_pack):
    with pytest.raises(ApplicationError, match="Only the supplier"):
        services.test_data_upload(
            user=rob,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack),
        )
    assert not TestRecord.objects.exists()


def test_upload_limit_is_enforced(alice, pack, settings):
    settings.TEST_DATA_MAX_UPLOAD_MB = 1
    with pytest.raises(ApplicationError, match="limit is 1 MB"):
        services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=SimpleUploadedFile("big.csv", b"0" * (1024 * 1024 + 1)),
        )


def test_route_stays_provisional_until_the_sample_is_measured(
    alice, lot, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot.quantity = 2  # the plan asks for both packs of a lot of 2
    lot.save()
    second = PackFactory(lot=lot, serial="P-2")
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
        django_capture_on_commit_callbacks,
    )
    lot.refresh_from_db()
    assert lot.status == LotStatus.VERIFYING  # measured, but 1 of the 2 the plan asks for
    assert (lot.summary.packs_measured, lot.summary.sample_size_required) == (1, 2)
    assert lot.summary.route_provisional is True
    upload(
        alice,
        second,
        capacity_test_upload(soh_pct=45.0, pack_model=lfp_telecom_pack, seed=3),
        django_capture_on_commit_callbacks,
    )
    lot.refresh_from_db()
    # Routed on its weakest pack: 45 % is small-application even though the other is at 84 %.
    assert (lot.summary.route, lot.summary.route_provisional) == ("small-application", False)
    assert float(lot.summary.lowest_pack_soh_pct) == pytest.approx(45.0, abs=0.5)
    assert lot.summary.lowest_pack_serial == "P-2"


@pytest.mark.parametrize(
    ("resistance_mohm", "route"),
    [(33.6, "reuse-ESS"), (43.2, "recycle")],  # 1.4x and 1.8x the 24 mOhm baseline
)
def test_nmc_resistance_is_measured_and_routes_the_pack(
    alice, volta, nmc_module, resistance_mohm, route, django_capture_on_commit_callbacks
):
    nmc_module.baseline_resistance_mohm = 24
    nmc_module.save()
    lot = LotFactory(supplier=volta, pack_model=nmc_module, claimed_soh_pct=86)
    pack = PackFactory(lot=lot, claimed_soh_pct=86)
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=86, pack_model=nmc_module, resistance_mohm=resistance_mohm),
        django_capture_on_commit_callbacks,
    )
    measurement = pack.verifications.get().measurement
    # The synthetic pack is ohmic; over a 10 s pulse its open-circuit voltage also moves a
    # little with the charge passed (steeply near full on NMC), which reads as a few % more.
    assert measurement.resistance_mohm == pytest.approx(resistance_mohm, rel=0.05)
    assert measurement.resistance_pulse_s == 10
    assert measurement.resistance_ratio == pytest.approx(measurement.resistance_mohm / 24, rel=1e-6)
    lot.refresh_from_db()
    assert lot.summary.route == route
    decision = RoutingDecision.objects.filter(lot=lot, pack=None).order_by("-pk").first()
    rule = next(r for r in decision.rules if "resistance" in str(r).lower())
    assert f"{measurement.resistance_ratio:.2f}" in str(rule["value"])


def test_a_transient_error_while_storing_gives_the_run_back(
    alice, pack, lfp_telecom_pack, monkeypatch
):
    """A dropped connection after the file was read: the retry must find the run claimable,
    not busy, or the upload would wait for the stale-run sweep."""
    monkeypatch.setattr(tasks.verify_test_record, "delay", lambda *args: None)
    record = services.test_data_upload(
        user=alice,
        pack=pack,
        uploaded_file=capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
    )

    def connection_lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pipeline, "lot_refresh", connection_lost)
    with pytest.raises(OperationalError):
        pipeline.test_record_verify(test_record_id=record.pk)
    run = Verification.objects.get(test_record=record)
    assert (run.status, run.measurement_id) == (VerificationStatus.PENDING, None)
    monkeypatch.undo()
    pipeline.test_record_verify(test_record_id=record.pk)
    run.refresh_from_db()
    assert run.status == VerificationStatus.DONE


def test_a_pack_split_off_while_it_is_measured_reports_to_its_new_lot(
    alice, volta, lfp_telecom_pack, monkeypatch, django_capture_on_commit_callbacks
):
    lot = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[85.0, 82.0, 45.0],
        uploader=alice, callbacks=django_capture_on_commit_callbacks, reference="MIX",
    )  # fmt: skip
    weak = lot.packs.get(serial="MIX-3")
    measure = pipeline.verification_measure

    def measure_while_splitting(*, record):
        figures = measure(record=record)
        services.lot_split_by_route(user=alice, lot=Lot.objects.get(pk=lot.pk))
        return figures

    monkeypatch.setattr(pipeline, "verification_measure", measure_while_splitting)
    upload(
        alice,
        weak,
        capacity_test_upload(soh_pct=44.0, pack_model=lfp_telecom_pack, seed=9),
        django_capture_on_commit_callbacks,
    )
    sub_lot = Lot.objects.get(reference="MIX-SMALL")
    assert weak.decisions.latest("created_at").lot_id == sub_lot.pk
    latest = AuditEntry.objects.filter(action="verification.result").last()
    assert latest.scope == lot_scope(sub_lot.pk)
    assert sub_lot.status == LotStatus.VERIFIED
    assert float(sub_lot.summary.measured_soh_pct) == pytest.approx(44.0, abs=0.6)


def test_a_finished_run_keeps_when_it_started(
    alice, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=84.0, pack_model=lfp_telecom_pack),
        django_capture_on_commit_callbacks,
    )
    run = Verification.objects.get()
    assert run.status == VerificationStatus.DONE
    assert run.started_at is not None and run.finished_at is not None
    assert run.started_at <= run.finished_at


def test_the_lot_is_priced_per_measured_kwh(
    alice, lot, pack, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot.quantity, lot.price_per_kwh = 2, Decimal("80.00")
    lot.save()
    second = PackFactory(lot=lot, serial="P-2")
    for each, soh, seed in ((pack, 84.0, 1), (second, 78.0, 3)):
        upload(
            alice,
            each,
            capacity_test_upload(soh_pct=soh, pack_model=lfp_telecom_pack, seed=seed),
            django_capture_on_commit_callbacks,
        )
    runs = Verification.objects.filter(pack__lot=lot).select_related("measurement")
    energies_wh = []
    for run in runs:
        m = run.measurement
        chosen = next(c for c in m.cycles if c["cycle"] == m.cycle_used)
        assert m.discharge_energy_wh == chosen["discharge_energy_wh"]
        # What a 51.2 V pack delivers from its measured Ah, give or take the curve's shape.
        assert 0.9 * 51.2 < m.discharge_energy_wh / m.discharge_capacity_ah < 1.1 * 51.2
        energies_wh.append(m.discharge_energy_wh)
    summary = Lot.objects.get(pk=lot.pk).summary
    per_pack_kwh = sum(energies_wh) / 2 / 1000
    assert summary.packs_energy_measured == 2
    assert float(summary.usable_energy_kwh) == pytest.approx(per_pack_kwh, abs=0.001)
    assert float(summary.usable_energy_total_kwh) == pytest.approx(2 * per_pack_kwh, abs=0.002)
    # 80 EUR for each of 5.12 nominal kWh, paid for about 4.1 measured kWh.
    expected = 80 * 5.12 / float(summary.usable_energy_kwh)
    assert float(summary.price_per_usable_kwh) == pytest.approx(expected, abs=0.01)
    assert summary.price_per_usable_kwh > lot.price_per_kwh


def test_a_refresh_reads_no_measurement_figures_and_as_many_queries_for_more_packs(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    """The lot's refresh runs after every upload: it reads the latest runs without their
    figures and per-cycle tables, in a number of queries that does not grow with the packs."""
    queries = []
    for count in (2, 4):
        lot = measured_lot(
            supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84.0] * count,
            uploader=alice, callbacks=django_capture_on_commit_callbacks,
            reference=f"REFRESH-{count}",
        )  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            pipeline.lot_refresh(lot_id=lot.pk, reason="test")
        measurement_reads = [
            q["sql"] for q in captured.captured_queries if "verification_measurement" in q["sql"]
        ]
        assert measurement_reads, "the refresh reads the measurements it routes on"
        assert not any('"figures"' in sql or '"cycles"' in sql for sql in measurement_reads)
        queries.append(len(captured))
    assert queries[0] == queries[1]
