import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from statistics import median

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ApplicationError
from suppliers.choices import UPLOADABLE_LOT_STATUSES
from suppliers.models import Pack
from suppliers.selectors import is_auditor, lot_can_manage

from .choices import TestDataFormat, TestRecordStatus, VerificationStatus
from .domain import TestDataError, check_claim
from .domain.figures import Figures
from .domain.measure import headline_resistance, measure
from .domain.progress import ProgressReader
from .models import Measurement, TestRecord, Verification

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
    """Store an upload, checked at the edge; the lot pipeline queues its verification."""
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


class ClaimState(Enum):
    CLAIMED = "claimed"  # this worker runs it
    SETTLED = "settled"  # identical data already verified under this rule set
    BUSY = "busy"  # another worker holds it


@dataclass(frozen=True)
class RunClaim:
    record: TestRecord
    run: Verification
    state: ClaimState


def verification_claim(*, test_record_id: int, rule_set_ref: int, rule_set_label: str) -> RunClaim:
    """Find or create the run row for a record under a rule set and try to claim it."""
    record = TestRecord.objects.select_related("pack__lot__pack_model").get(pk=test_record_id)
    run, _ = Verification.objects.get_or_create(
        pack=record.pack,
        sha256=record.sha256,
        rule_set_ref=rule_set_ref,
        defaults={"test_record": record, "rule_set_label": rule_set_label},
    )
    if run.status in (VerificationStatus.DONE, VerificationStatus.FAILED):
        return RunClaim(record, run, ClaimState.SETTLED)
    if not _claim_run(run):
        logger.info("verification %s is already being worked on", run.pk)
        return RunClaim(record, run, ClaimState.BUSY)
    TestRecord.objects.filter(pk=record.pk).update(
        status=TestRecordStatus.PROCESSING, progress_pct=0
    )
    return RunClaim(record, run, ClaimState.CLAIMED)


def verification_release(*, run: Verification) -> None:
    """Transient trouble (database, storage): give the run back so a retry can claim it."""
    Verification.objects.filter(pk=run.pk).update(
        status=VerificationStatus.PENDING, started_at=None
    )


def _report_progress(record_id: int):
    def report(percent: int) -> None:
        TestRecord.objects.filter(pk=record_id).update(progress_pct=percent)

    return report


def verification_measure(*, record: TestRecord) -> Figures:
    """Read the file and compute every figure: the long part, outside any transaction.

    Raises TestDataError for data that cannot be used, with the reason for the supplier.
    """
    figures = _figures_for(record)
    if figures.soh_pct is not None and figures.soh_pct > 100:
        raise TestDataError(
            f"The measured discharge is {figures.soh_pct:.1f} % of the pack model's nominal "
            f"{figures.soh_definition}: above 100 % the file does not fit this pack (check the "
            "pack model and the file's current and capacity units)."
        )
    return figures


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


def verification_store(*, record: TestRecord, run: Verification, figures: Figures) -> Verification:
    """Store the measurement and the claim check of a claimed run (in the caller's transaction)."""
    pack = record.pack
    nominal_ah = float(pack.lot.pack_model.nominal_capacity_ah)
    claimed = float(pack.effective_claimed_soh_pct)
    check = None
    if figures.soh_pct is not None:
        check = check_claim(
            claimed_soh_pct=claimed,
            measured_soh_pct=figures.soh_pct,
            tolerance_pct_points=settings.SOH_TOLERANCE_PCT_POINTS,
        )
    with transaction.atomic():
        measurement = Measurement.objects.create(
            test_record=record, **_measurement_fields(figures, nominal_ah=nominal_ah)
        )
        run.measurement = measurement
        run.claimed_soh_pct = claimed
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
    return run


@transaction.atomic
def verification_store_failure(*, record: TestRecord, run: Verification, message: str) -> None:
    Verification.objects.filter(pk=run.pk).update(
        status=VerificationStatus.FAILED, error=message, finished_at=timezone.now()
    )
    TestRecord.objects.filter(pk=record.pk).update(status=TestRecordStatus.FAILED, error=message)


@transaction.atomic
def verification_settle_duplicate(*, record: TestRecord, run: Verification) -> None:
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


@transaction.atomic
def test_record_rerun_reset(
    *, user: AbstractBaseUser, test_record_id: int, rule_set_ref: int
) -> TestRecord:
    """An auditor sends a failed upload back to the workers, once what stopped it (an outage, an
    internal error, a reader since fixed) is dealt with. Its failed run under the active rule set
    goes back to pending, so the run key stays unique and the rerun is still idempotent. The lot
    pipeline queues the work and records the auditor's action."""
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
        rule_set_ref=rule_set_ref,
        status=VerificationStatus.FAILED,
    ).update(status=VerificationStatus.PENDING, error="", started_at=None, finished_at=None)
    TestRecord.objects.filter(pk=record.pk).update(
        status=TestRecordStatus.PENDING, error="", progress_pct=0
    )
    record.refresh_from_db()
    return record


@transaction.atomic
def test_record_fail(*, test_record_id: int, message: str) -> TestRecord:
    """Give up on a record after repeated transient errors, so it does not wait forever."""
    record = TestRecord.objects.select_related("pack").get(pk=test_record_id)
    Verification.objects.filter(
        test_record=record, status__in=[VerificationStatus.PENDING, VerificationStatus.RUNNING]
    ).update(status=VerificationStatus.FAILED, error=message, finished_at=timezone.now())
    TestRecord.objects.filter(pk=record.pk).update(status=TestRecordStatus.FAILED, error=message)
    return record
