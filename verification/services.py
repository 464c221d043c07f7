import hashlib
import logging
from datetime import timedelta
from statistics import fmean, median

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from routing.selectors import PackMeasure, rule_set_active
from routing.services import lot_routing_inputs, routing_decision_record
from suppliers.choices import PIPELINE_LOT_STATUSES, UPLOADABLE_LOT_STATUSES, LotStatus
from suppliers.errors import ApplicationError
from suppliers.models import Lot, Pack
from suppliers.selectors import is_auditor, lot_can_manage

from .choices import TestDataFormat, TestRecordStatus, Verdict, VerificationStatus
from .domain import TestDataError, check_claim
from .domain.figures import Figures
from .domain.measure import headline_resistance, measure
from .domain.progress import ProgressReader
from .models import Measurement, TestRecord, Verification
from .selectors import test_record_unsettled_exists, verification_latest_per_pack

logger = logging.getLogger(__name__)

# A run claimed longer ago than this is taken to belong to a worker that died.
STALE_RUN_AFTER = timedelta(minutes=15)


def _sha256(uploaded_file: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def test_record_create(
    *,
    user: AbstractBaseUser,
    pack: Pack,
    uploaded_file: UploadedFile,
    data_format: str = TestDataFormat.CANONICAL_CSV,
) -> TestRecord:
    """Store an upload and queue its verification once the upload is committed."""
    from .tasks import verify_test_record

    lot = pack.lot
    if not lot_can_manage(user=user, lot=lot):
        raise ApplicationError("Only the supplier of this lot can upload its test data.")
    if lot.status not in UPLOADABLE_LOT_STATUSES:
        raise ApplicationError(f"Test data cannot be added to a lot that is {lot.status}.")
    limit_mb = settings.TEST_DATA_MAX_UPLOAD_MB
    if uploaded_file.size > limit_mb * 1024 * 1024:
        raise ApplicationError(
            f"The file is {uploaded_file.size / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB.",
            field="file",
        )
    record = TestRecord(
        pack=pack,
        original_name=(uploaded_file.name or "upload")[:255],
        format=data_format,
        sha256=_sha256(uploaded_file),
        size_bytes=uploaded_file.size,
        uploaded_by=user,
    )
    record.file.save(uploaded_file.name or "upload.csv", uploaded_file, save=False)
    record.save()
    lot_recompute(lot_id=lot.pk)
    transaction.on_commit(lambda: verify_test_record.delay(record.pk))
    return record


def _claim_run(run: Verification) -> bool:
    """Compare-and-set: only one worker moves a run to running."""
    now = timezone.now()
    claimable = Q(status=VerificationStatus.PENDING) | Q(
        status=VerificationStatus.RUNNING, started_at__lt=now - STALE_RUN_AFTER
    )
    return bool(
        Verification.objects.filter(claimable, pk=run.pk).update(
            status=VerificationStatus.RUNNING, started_at=now
        )
    )


def verification_run(*, test_record_id: int) -> Verification | None:
    """Parse a test record, measure, check the claim and route the pack. Safe to run twice."""
    record = TestRecord.objects.select_related("pack__lot__pack_model").get(pk=test_record_id)
    pack = record.pack
    rule_set = rule_set_active()
    run, _ = Verification.objects.get_or_create(
        pack=pack, sha256=record.sha256, rule_set=rule_set, defaults={"test_record": record}
    )
    if run.status in (VerificationStatus.DONE, VerificationStatus.FAILED):
        _settle_duplicate(record=record, run=run)
        return run
    if not _claim_run(run):
        logger.info("verification %s is already being worked on", run.pk)
        return run
    TestRecord.objects.filter(pk=record.pk).update(
        status=TestRecordStatus.PROCESSING, progress_pct=0
    )
    try:
        return _measure_and_store(record=record, run=run, rule_set=rule_set)
    except TestDataError as exc:
        _store_failure(record=record, run=run, message=str(exc))
        return run
    except Exception:
        # Transient trouble (database, storage): give the run back so a retry can claim it.
        Verification.objects.filter(pk=run.pk).update(
            status=VerificationStatus.PENDING, started_at=None
        )
        raise


def pack_measure(run: Verification) -> PackMeasure:
    measurement = run.measurement
    return PackMeasure(
        verification_id=run.pk,
        soh_pct=run.measured_soh_pct,
        resistance_ratio=measurement.resistance_ratio if measurement else None,
        weakest_cell_soh_pct=measurement.weakest_cell_soh_pct if measurement else None,
    )


def _report_progress(record_id: int):
    def report(percent: int) -> None:
        TestRecord.objects.filter(pk=record_id).update(progress_pct=percent)

    return report


def _figures_for(record: TestRecord) -> Figures:
    pack_model = record.pack.lot.pack_model
    baseline = pack_model.baseline_resistance_mohm
    with record.file.open("rb") as raw:
        stream = ProgressReader(
            raw, total_bytes=record.size_bytes, report=_report_progress(record.pk)
        )
        return measure(
            stream,
            filename=record.original_name,
            declared_format=None if record.format == TestDataFormat.AUTO else record.format,
            nominal_capacity_ah=float(pack_model.nominal_capacity_ah),
            nominal_energy_wh=float(pack_model.nominal_energy_kwh) * 1000,
            baseline_resistance_mohm=float(baseline) if baseline else None,
            on_batch=stream.poll,
        )


def _measurement_fields(figures: Figures, *, nominal_ah: float) -> dict:
    cycle = next((c for c in figures.cycles if c["cycle"] == figures.cycle_used), None)
    resistance_mohm, pulse_s = headline_resistance(figures)
    baseline_ratio = None
    if resistance_mohm is not None:
        ratios = [
            d["ratio_to_baseline"]
            for d in figures.dcir
            if d.get("ratio_to_baseline") is not None and d["duration_s"] == pulse_s
        ]
        baseline_ratio = median(ratios) if ratios else None
    weakest = figures.weakest_cell or {}
    return {
        "format": figures.format,
        "figures": figures.to_dict(),
        "discharge_capacity_ah": figures.discharge_capacity_ah,
        "nominal_capacity_ah": nominal_ah,
        "soh_pct": figures.soh_pct,
        "soh_definition": figures.soh_definition,
        "cycle_used": figures.cycle_used,
        "cycles": list(figures.to_dict()["cycles"]),
        "sample_count": figures.sample_count,
        "c_rate": cycle.get("c_rate") if cycle else None,
        "max_temperature_c": cycle.get("max_temperature_c") if cycle else None,
        "resistance_mohm": resistance_mohm,
        "resistance_pulse_s": pulse_s,
        "resistance_ratio": baseline_ratio,
        "cell_spread_mv": figures.cell_spread_mv,
        "weakest_cell_soh_pct": weakest.get("soh_pct"),
        "bms_soh_pct": figures.bms_soh_pct,
        "units": figures.units,
        "warnings": list(figures.warnings),
    }


def _measure_and_store(*, record: TestRecord, run: Verification, rule_set) -> Verification:
    pack = record.pack
    nominal_ah = float(pack.lot.pack_model.nominal_capacity_ah)
    figures = _figures_for(record)
    check = None
    if figures.soh_pct is not None:
        check = check_claim(
            claimed_soh_pct=float(pack.effective_claimed_soh_pct),
            measured_soh_pct=figures.soh_pct,
            tolerance_pct_points=settings.SOH_TOLERANCE_PCT_POINTS,
        )
    with transaction.atomic():
        measurement = Measurement.objects.create(
            test_record=record, **_measurement_fields(figures, nominal_ah=nominal_ah)
        )
        run.measurement = measurement
        run.claimed_soh_pct = float(pack.effective_claimed_soh_pct)
        if check is not None:
            run.measured_soh_pct = check.measured_soh_pct
            run.difference_pct_points = check.difference_pct_points
            run.tolerance_pct_points = check.tolerance_pct_points
            run.verdict = check.verdict
        run.status = VerificationStatus.DONE
        run.finished_at = timezone.now()
        run.save()
        TestRecord.objects.filter(pk=record.pk).update(
            status=TestRecordStatus.DONE, error="", progress_pct=100
        )
        if check is not None:
            routing_decision_record(
                lot=pack.lot,
                pack=pack,
                rule_set=rule_set,
                soh_pct=check.measured_soh_pct,
                verified=True,
                resistance_ratio=measurement.resistance_ratio,
                weakest_cell_soh_pct=measurement.weakest_cell_soh_pct,
                verification=run,
            )
        lot_recompute(lot_id=pack.lot_id)
    return run


@transaction.atomic
def _store_failure(*, record: TestRecord, run: Verification, message: str) -> None:
    Verification.objects.filter(pk=run.pk).update(
        status=VerificationStatus.FAILED, error=message, finished_at=timezone.now()
    )
    TestRecord.objects.filter(pk=record.pk).update(status=TestRecordStatus.FAILED, error=message)
    lot_recompute(lot_id=record.pack.lot_id)


@transaction.atomic
def _settle_duplicate(*, record: TestRecord, run: Verification) -> None:
    """Identical data under the same rule set: reuse the earlier outcome instead of re-running."""
    if run.test_record_id == record.pk:
        return
    if run.status == VerificationStatus.DONE:
        TestRecord.objects.filter(pk=record.pk).update(
            status=TestRecordStatus.DONE, error="", progress_pct=100
        )
    else:
        TestRecord.objects.filter(pk=record.pk).update(
            status=TestRecordStatus.FAILED, error=run.error
        )
    lot_recompute(lot_id=record.pack.lot_id)


@transaction.atomic
def test_record_rerun(*, user: AbstractBaseUser, test_record_id: int) -> TestRecord:
    """An auditor sends a failed upload back to the workers, once what stopped it (an outage, an
    internal error, a reader since fixed) is dealt with. Its failed run under the active rule set
    goes back to pending, so the run key stays unique and the rerun is still idempotent."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors re-run verification.")
    record = TestRecord.objects.select_for_update().select_related("pack").get(pk=test_record_id)
    if record.status != TestRecordStatus.FAILED:
        raise ApplicationError(
            f"{record.original_name} has not failed; there is nothing to re-run."
        )
    Verification.objects.filter(
        pack=record.pack,
        sha256=record.sha256,
        rule_set=rule_set_active(),
        status=VerificationStatus.FAILED,
    ).update(status=VerificationStatus.PENDING, error="", started_at=None, finished_at=None)
    TestRecord.objects.filter(pk=record.pk).update(
        status=TestRecordStatus.PENDING, error="", progress_pct=0
    )
    lot_recompute(lot_id=record.pack.lot_id)
    from .tasks import verify_test_record

    transaction.on_commit(lambda: verify_test_record.delay(record.pk))
    record.refresh_from_db()
    return record


@transaction.atomic
def test_record_fail(*, test_record_id: int, message: str) -> None:
    """Give up on a record after repeated transient errors, so it does not wait forever."""
    record = TestRecord.objects.select_related("pack").get(pk=test_record_id)
    Verification.objects.filter(
        test_record=record, status__in=[VerificationStatus.PENDING, VerificationStatus.RUNNING]
    ).update(status=VerificationStatus.FAILED, error=message, finished_at=timezone.now())
    TestRecord.objects.filter(pk=record.pk).update(status=TestRecordStatus.FAILED, error=message)
    lot_recompute(lot_id=record.pack.lot_id)


@transaction.atomic
def lot_recompute(*, lot_id: int) -> Lot:
    """Bring a lot's status, measured figures and lot-level route in line with its packs.

    The lot is routed on its weakest pack: a buyer takes every pack of the lot, so the lot can
    only be promised at the grade of its lowest measured (or, where unmeasured, claimed) SOH.
    The route is provisional until every pack has been measured; a claim the measurements
    contradict sends the lot to the auditors, while its route follows the measurements.
    """
    lot = Lot.objects.select_for_update().select_related("pack_model").get(pk=lot_id)
    packs = list(lot.packs.all())
    latest = verification_latest_per_pack(lot=lot)
    measured = [run.measured_soh_pct for run in latest.values()]
    all_measured = bool(packs) and len(latest) == len(packs)
    all_confirmed = all_measured and all(r.verdict == Verdict.CONFIRMED for r in latest.values())
    any_discrepancy = any(r.verdict == Verdict.DISCREPANCY for r in latest.values())

    if lot.status in PIPELINE_LOT_STATUSES:
        if test_record_unsettled_exists(lot=lot):
            lot.status = LotStatus.VERIFYING
        elif any_discrepancy:
            lot.status = LotStatus.DISCREPANCY
        elif all_confirmed:
            lot.status = LotStatus.VERIFIED
        else:
            lot.status = LotStatus.SUBMITTED

    lot.measured_soh_pct = round(fmean(measured), 2) if measured else None
    lot.lowest_pack_soh_pct = round(min(measured), 2) if measured else None
    rule_set = rule_set_active()
    inputs = lot_routing_inputs(
        lot=lot, packs=packs, measured={pk: pack_measure(run) for pk, run in latest.items()}
    )
    decision = routing_decision_record(
        lot=lot,
        pack=None,
        rule_set=rule_set,
        soh_pct=inputs.soh_pct,
        verified=inputs.all_measured,
        resistance_ratio=inputs.resistance_ratio,
        weakest_cell_soh_pct=inputs.weakest_cell_soh_pct,
    )
    lot.route = decision.route
    lot.route_provisional = decision.provisional
    lot.route_rule_set = rule_set
    lot.save(
        update_fields=[
            "status",
            "measured_soh_pct",
            "lowest_pack_soh_pct",
            "route",
            "route_provisional",
            "route_rule_set",
            "updated_at",
        ]
    )
    return lot
