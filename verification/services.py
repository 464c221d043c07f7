import hashlib
import logging
from datetime import timedelta
from statistics import fmean

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from routing.selectors import rule_set_active
from routing.services import lot_routing_soh, routing_decision_record
from suppliers.choices import PIPELINE_LOT_STATUSES, UPLOADABLE_LOT_STATUSES, LotStatus
from suppliers.errors import ApplicationError
from suppliers.models import Lot, Pack
from suppliers.selectors import lot_can_manage

from .choices import TestDataFormat, TestRecordStatus, Verdict, VerificationStatus
from .domain import TestDataError, check_claim, open_canonical_csv, soh_pct, summarise_cycles
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
    TestRecord.objects.filter(pk=record.pk).update(status=TestRecordStatus.PROCESSING)
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


def _measure_and_store(*, record: TestRecord, run: Verification, rule_set) -> Verification:
    pack = record.pack
    nominal_ah = float(pack.lot.pack_model.nominal_capacity_ah)
    with record.file.open("rb") as stream:
        data = open_canonical_csv(stream)
        result = summarise_cycles(data)
    measured_soh = soh_pct(
        measured_capacity_ah=result.discharge_capacity_ah, nominal_capacity_ah=nominal_ah
    )
    check = check_claim(
        claimed_soh_pct=float(pack.effective_claimed_soh_pct),
        measured_soh_pct=measured_soh,
        tolerance_pct_points=settings.SOH_TOLERANCE_PCT_POINTS,
    )
    with transaction.atomic():
        measurement = Measurement.objects.create(
            test_record=record,
            discharge_capacity_ah=result.discharge_capacity_ah,
            nominal_capacity_ah=nominal_ah,
            soh_pct=measured_soh,
            cycle_used=result.cycle_used,
            cycles=[c.to_dict() for c in result.cycles],
            sample_count=result.sample_count,
            c_rate=result.mean_discharge_current_a / nominal_ah,
            max_temperature_c=result.max_temperature_c,
            units=data.units.to_dict(),
            warnings=[*data.warnings, *result.warnings],
        )
        run.measurement = measurement
        run.claimed_soh_pct = check.claimed_soh_pct
        run.measured_soh_pct = check.measured_soh_pct
        run.difference_pct_points = check.difference_pct_points
        run.tolerance_pct_points = check.tolerance_pct_points
        run.verdict = check.verdict
        run.status = VerificationStatus.DONE
        run.finished_at = timezone.now()
        run.save()
        TestRecord.objects.filter(pk=record.pk).update(status=TestRecordStatus.DONE, error="")
        routing_decision_record(
            lot=pack.lot,
            pack=pack,
            rule_set=rule_set,
            soh_pct=measured_soh,
            verified=True,
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
        TestRecord.objects.filter(pk=record.pk).update(status=TestRecordStatus.DONE, error="")
    else:
        TestRecord.objects.filter(pk=record.pk).update(
            status=TestRecordStatus.FAILED, error=run.error
        )
    lot_recompute(lot_id=record.pack.lot_id)


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
    soh, all_measured = lot_routing_soh(
        lot=lot, packs=packs, measured={pk: r.measured_soh_pct for pk, r in latest.items()}
    )
    decision = routing_decision_record(
        lot=lot, pack=None, rule_set=rule_set, soh_pct=soh, verified=all_measured
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
