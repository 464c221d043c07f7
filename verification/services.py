import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from statistics import median

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from core.constraints import MEASURED_SOH_MAX_PCT
from core.errors import ApplicationError
from core.files import (
    ORPHAN_GRACE,
    SweepResult,
    storage_orphans_sweep,
    stored_file_discard,
    upload_name,
    uploaded_sha256,
)
from suppliers.choices import UPLOADABLE_LOT_STATUSES
from suppliers.models import Pack
from suppliers.selectors import is_auditor, lot_can_manage

from .choices import TestDataFormat, TestLevel, TestRecordStatus, Verdict, VerificationStatus
from .domain import check_claim
from .domain.cycle_choice import CycleFigures
from .domain.evidence import PackSpec, pack_fit
from .domain.figures import Figures
from .domain.measure import headline_resistance, measure
from .domain.progress import ProgressReader
from .domain.verdict import Judgement, judge
from .models import Measurement, TestRecord, Verification, brief_entries

logger = logging.getLogger(__name__)

# A run claimed longer ago than this is taken to belong to a worker that died.
STALE_RUN_AFTER = timedelta(minutes=15)


class AlreadyUploaded(ApplicationError):
    """The same file was uploaded for this pack before: nothing new is stored, and the client
    is pointed at the earlier upload (a retry of a lost answer finds its upload this way)."""

    def __init__(self, message: str, *, record: TestRecord):
        super().__init__(message, field="file")
        self.record = record


@transaction.atomic
def test_record_create(
    *,
    user: AbstractBaseUser,
    pack: Pack,
    uploaded_file: UploadedFile,
    data_format: str = TestDataFormat.CANONICAL_CSV,
    test_level: str = TestLevel.PACK,
) -> TestRecord:
    """Store an upload, checked at the edge; the lot pipeline queues its verification.

    The same file twice for the same pack adds nothing: `AlreadyUploaded` names the earlier
    upload. Callers hold the pack's lot row locked, so two identical uploads at once cannot
    both pass this check.
    """
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
    if test_level not in TestLevel.values:
        raise ApplicationError(
            f"Unknown test level {test_level!r}: use pack, module or cell.", field="test_level"
        )
    sha256 = uploaded_sha256(uploaded_file)
    earlier = TestRecord.objects.filter(pack=pack, sha256=sha256).order_by("pk").first()
    if earlier is not None:
        raise AlreadyUploaded(
            f"This file was already uploaded for pack {pack.serial} "
            f"({earlier.original_name}, {earlier.uploaded_at:%Y-%m-%d %H:%M}); "
            f"it is {earlier.get_status_display().lower()} and adds nothing new.",
            record=earlier,
        )
    record = TestRecord(
        pack=pack,
        original_name=upload_name(uploaded_file, default="upload"),
        format=data_format,
        test_level=test_level,
        sha256=sha256,
        size_bytes=uploaded_file.size,
        uploaded_by=user,
    )
    record.file.save(uploaded_file.name or "upload.csv", uploaded_file, save=False)
    try:
        record.save()
    except BaseException:
        test_record_file_discard(record)
        raise
    return record


def test_record_file_discard(record: TestRecord) -> None:
    """Remove the file of an upload whose row is being rolled back."""
    stored_file_discard(record.file)


def test_record_mark_queued(*, test_record_id: int) -> None:
    TestRecord.objects.filter(pk=test_record_id, queued_at__isnull=True).update(
        queued_at=timezone.now()
    )


def _claim_run(run: Verification, token: str, attempt: int) -> bool:
    """Compare-and-set: only one worker moves a run to running. A pending run is claimed; a
    running one is taken over when its lease is this task's own (redelivered after its worker
    died, or retrying after a fault it could not clean up) or has gone stale. Only a worker
    that died counts as a takeover: a retry of a later attempt does not."""
    now = timezone.now()
    runs = Verification.objects.filter(pk=run.pk)
    fields = {
        "status": VerificationStatus.RUNNING,
        "started_at": now,
        "claim_token": token,
        "claim_attempt": attempt,
    }
    if runs.filter(status=VerificationStatus.PENDING).update(**fields):
        return True
    lost = Q(started_at__lt=now - STALE_RUN_AFTER)
    if token:
        lost |= Q(claim_token=token)
    retried = Q(claim_token=token, claim_attempt__lt=attempt) if token else Q(pk__in=[])
    return bool(
        runs.filter(lost, status=VerificationStatus.RUNNING).update(
            **fields,
            takeovers=Case(When(retried, then=F("takeovers")), default=F("takeovers") + 1),
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


def verification_claim(
    *,
    test_record_id: int,
    rule_set_ref: int,
    rule_set_label: str,
    claim_token: str = "",
    attempt: int = 0,
) -> RunClaim:
    """Find or create the run row for a record under a rule set and try to claim it."""
    record = TestRecord.objects.select_related("pack__lot__pack_model").get(pk=test_record_id)
    run, _ = Verification.objects.get_or_create(
        pack=record.pack,
        sha256=record.sha256,
        rule_set_ref=rule_set_ref,
        generation=record.run_generation,
        defaults={"test_record": record, "rule_set_label": rule_set_label},
    )
    if run.status in (VerificationStatus.DONE, VerificationStatus.FAILED):
        return RunClaim(record, run, ClaimState.SETTLED)
    if not _claim_run(run, claim_token, attempt):
        logger.info("verification %s is already being worked on", run.pk)
        return RunClaim(record, run, ClaimState.BUSY)
    # The claim was a compare-and-set in the database: the row now holds its start time, and a
    # later save of this instance must keep it rather than write back None.
    run.refresh_from_db(
        fields=["status", "started_at", "claim_token", "claim_attempt", "takeovers"]
    )
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
    return _figures_for(record)


def _pack_spec(pack_model) -> PackSpec:
    return PackSpec(
        chemistry=pack_model.chemistry,
        cells_series=pack_model.cells_series,
        cells_parallel=pack_model.cells_parallel,
        nominal_capacity_ah=float(pack_model.nominal_capacity_ah),
        nominal_voltage_v=float(pack_model.nominal_voltage_v),
    )


def verification_judge(*, record: TestRecord, figures: Figures, duplicate_reason: str) -> Judgement:
    """What the figures prove about this pack's claim (no writes)."""
    pack = record.pack
    pack_model = pack.lot.pack_model
    is_snapshot = figures.format == TestDataFormat.BMS_SNAPSHOT
    fit = (
        None
        if is_snapshot
        else pack_fit(figures, _pack_spec(pack_model), test_level=record.test_level)
    )
    capacity_test = figures.capacity_test or {}
    return judge(
        soh_pct=figures.soh_pct,
        no_soh_reason=capacity_test.get("reason", ""),
        is_snapshot=is_snapshot,
        test_level=record.test_level,
        misfit_reasons=() if fit is None or fit.fits else tuple(fit.reasons),
        duplicate_reason=duplicate_reason,
        model_approved=pack_model.is_approved,
        claimed_soh_pct=float(pack.effective_claimed_soh_pct),
        tolerance_pct_points=settings.SOH_TOLERANCE_PCT_POINTS,
    )


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
            cells_series=_cells_series(record),
            chemistry=pack_model.chemistry,
            on_batch=stream.poll,
        )


def _cells_series(record: TestRecord) -> int | None:
    """Cells in series behind the voltage the file records: the pack's for a pack test, one for
    a cell test; unknown for a module (the cutoff then comes from the data alone)."""
    if record.test_level == TestLevel.CELL:
        return 1
    if record.test_level == TestLevel.MODULE:
        return None
    return record.pack.lot.pack_model.cells_series


def _stored_percent(value: float | None) -> float | None:
    """A figure above the plausible ceiling is not stored as this pack's SOH; the file's own
    figure stays in `figures` with the reason it was not taken."""
    return value if value is not None and value <= MEASURED_SOH_MAX_PCT else None


def _energy_wh(cycle: CycleFigures | None) -> float | None:
    """The chosen cycle's discharge energy; none where it was not measured (a BMS snapshot,
    a file without voltage)."""
    energy = cycle.discharge_energy_wh if cycle else None
    return float(energy) if energy is not None and energy > 0 else None


def _measurement_fields(figures: Figures, *, nominal_ah: float) -> dict:
    cycle = next((c for c in figures.cycles if c.cycle == figures.cycle_used), None)
    resistance_mohm, pulse_s = headline_resistance(figures)
    baseline_ratio = None
    if resistance_mohm is not None:
        ratios = [
            d.ratio_to_baseline
            for d in figures.dcir
            if d.ratio_to_baseline is not None and d.duration_s == pulse_s
        ]
        baseline_ratio = median(ratios) if ratios else None
    weakest = figures.weakest_cell or {}
    serialised = figures.to_dict()  # once: it copies every cycle and chart point
    return {
        "format": figures.format,
        "figures": serialised,
        "discharge_capacity_ah": figures.discharge_capacity_ah,
        # The usable energy buyers price by: what the same discharge delivered, measured.
        "discharge_energy_wh": _energy_wh(cycle),
        "nominal_capacity_ah": nominal_ah,
        "soh_pct": _stored_percent(figures.soh_pct),
        "soh_definition": figures.soh_definition,
        "cycle_used": figures.cycle_used,
        "cycles": list(serialised["cycles"]),
        "sample_count": figures.sample_count,
        "c_rate": cycle.c_rate if cycle else None,
        "max_temperature_c": cycle.max_temperature_c if cycle else None,
        "resistance_mohm": resistance_mohm,
        "resistance_pulse_s": pulse_s,
        "resistance_ratio": baseline_ratio,
        "cell_spread_mv": figures.cell_spread_mv,
        "weakest_cell_soh_pct": _stored_percent(weakest.get("soh_pct")),
        "bms_soh_pct": figures.bms_soh_pct,
        "units": figures.units,
        "warnings": list(figures.warnings),
        "brief": brief_entries(serialised, serialised["cycles"]),
        "fingerprint": figures.fingerprint or "",
    }


def verification_store(
    *,
    record: TestRecord,
    run: Verification,
    figures: Figures,
    judgement: Judgement,
    duplicate_of: Verification | None = None,
) -> Verification:
    """Store the measurement and the verdict of a claimed run (in the caller's transaction)."""
    pack = record.pack
    nominal_ah = float(pack.lot.pack_model.nominal_capacity_ah)
    check = judgement.check
    with transaction.atomic():
        measurement = Measurement.objects.create(
            test_record=record, **_measurement_fields(figures, nominal_ah=nominal_ah)
        )
        run.measurement = measurement
        run.claimed_soh_pct = float(pack.effective_claimed_soh_pct)
        run.measured_soh_pct = judgement.measured_soh_pct
        run.verdict = judgement.verdict
        run.verdict_reason = judgement.reason
        run.duplicate_of = duplicate_of
        if check is not None:
            run.difference_pct_points = check.difference_pct_points
            run.tolerance_pct_points = check.tolerance_pct_points
        run.status = VerificationStatus.DONE
        run.finished_at = timezone.now()
        run.save()
        _records_of_run(record).update(status=TestRecordStatus.DONE, error="", progress_pct=100)
    return run


def _records_of_run(record: TestRecord):
    """The record and any other unsettled upload of the same file for the same pack (stored
    before uploads were deduplicated): they share one run, so they settle with it, instead of
    one of them waiting on a run that will never be claimed for it."""
    return TestRecord.objects.filter(
        Q(pk=record.pk)
        | Q(
            pack_id=record.pack_id,
            sha256=record.sha256,
            status__in=[TestRecordStatus.PENDING, TestRecordStatus.PROCESSING],
        )
    )


@transaction.atomic
def verification_store_failure(*, record: TestRecord, run: Verification, message: str) -> None:
    Verification.objects.filter(pk=run.pk).update(
        status=VerificationStatus.FAILED, error=message, finished_at=timezone.now()
    )
    _records_of_run(record).update(status=TestRecordStatus.FAILED, error=message)


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
    """An auditor sends an upload back to the workers; returns the record to verify.

    A failed run (an outage, an internal error, a reader since fixed) goes back to pending, so
    the run key stays unique and the rerun is still idempotent. A finished one is never
    overwritten: the same file is read again as a new record in the next generation of its
    run, and the earlier record, run and measurement stay as history. The lot pipeline queues
    the work and records the auditor's action."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors re-run verification.")
    record = TestRecord.objects.select_for_update().select_related("pack").get(pk=test_record_id)
    if record.status not in (TestRecordStatus.FAILED, TestRecordStatus.DONE):
        raise ApplicationError(
            f"{record.original_name} is still being verified; wait for its result to re-run it."
        )
    if record.status == TestRecordStatus.DONE:
        latest = (
            Verification.objects.filter(pack=record.pack, sha256=record.sha256)
            .order_by("-generation")
            .values_list("generation", flat=True)
            .first()
        )
        return TestRecord.objects.create(
            pack=record.pack,
            file=record.file.name,
            original_name=record.original_name,
            format=record.format,
            test_level=record.test_level,
            sha256=record.sha256,
            size_bytes=record.size_bytes,
            uploaded_by=record.uploaded_by,
            run_generation=(latest or 0) + 1,
        )
    Verification.objects.filter(
        pack=record.pack,
        sha256=record.sha256,
        rule_set_ref=rule_set_ref,
        generation=record.run_generation,
        status=VerificationStatus.FAILED,
    ).update(
        status=VerificationStatus.PENDING,
        error="",
        started_at=None,
        finished_at=None,
        claim_token="",
        claim_attempt=0,
        takeovers=0,
    )
    TestRecord.objects.filter(pk=record.pk).update(
        status=TestRecordStatus.PENDING, error="", progress_pct=0, queued_at=None
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
    _records_of_run(record).update(status=TestRecordStatus.FAILED, error=message)
    return record


def _duplicate_reason(*, same_file: bool, other: Verification, pack: Pack) -> str:
    """Said to the supplier of `pack`: another supplier's pack is not named to them (the
    auditors see the link)."""
    what = "the same file" if same_file else "the same measurement (identical per-cycle Ah and Wh)"
    other_pack = other.pack
    if other_pack.lot.supplier_id == pack.lot.supplier_id:
        where = f"pack {other_pack.serial} (lot {other_pack.lot.reference})"
    else:
        where = "a pack listed by another organisation"
    return (
        f"{what} was also offered as evidence for {where}: one test proves one pack, so "
        "neither confirms anything until an auditor has looked"
    )


@dataclass(frozen=True)
class DuplicateFinding:
    others: list[Verification]  # the other packs' runs carrying the same evidence
    reason: str  # for this pack's verdict; "" when there is none


def verification_duplicates_find(
    *, record: TestRecord, fingerprint: str | None
) -> DuplicateFinding:
    """Other packs' finished runs on the same file (sha256) or the same measurement
    (fingerprint), on any lot of any supplier: each pack's latest such run."""
    same = Q(sha256=record.sha256)
    if fingerprint:
        same |= Q(measurement__fingerprint=fingerprint)
    runs = (
        Verification.objects.filter(same, status=VerificationStatus.DONE)
        .exclude(pack_id=record.pack_id)
        .exclude(verdict=Verdict.NOT_MEASURED)
        .select_related("pack__lot", "measurement")
        .order_by("pack_id", "-finished_at", "-pk")
    )
    others: dict[int, Verification] = {}
    for run in runs:
        others.setdefault(run.pack_id, run)
    found = list(others.values())
    if not found:
        return DuplicateFinding([], "")
    first = found[0]
    reason = _duplicate_reason(
        same_file=first.sha256 == record.sha256, other=first, pack=record.pack
    )
    return DuplicateFinding(found, reason)


def verifications_mark_duplicate(*, runs: list[Verification], of_run: Verification) -> None:
    """The earlier packs' runs that carried the same evidence lose what they confirmed."""
    for run in runs:
        reason = _duplicate_reason(
            same_file=run.sha256 == of_run.sha256, other=of_run, pack=run.pack
        )
        Verification.objects.filter(pk=run.pk).update(
            verdict=Verdict.DUPLICATE, verdict_reason=reason, duplicate_of=of_run
        )
        run.refresh_from_db()


def verifications_rejudge_for_model(*, pack_model_id: int) -> list[Verification]:
    """Once an auditor approved a pack model, the measurements held back for it are compared
    with their claims, as they would have been. Returns the runs rejudged."""
    runs = list(
        Verification.objects.select_for_update()
        .filter(
            verdict=Verdict.UNAPPROVED_MODEL,
            status=VerificationStatus.DONE,
            pack__lot__pack_model_id=pack_model_id,
            measured_soh_pct__isnull=False,
        )
        .select_related("pack__lot")
    )
    for run in runs:
        check = check_claim(
            claimed_soh_pct=run.claimed_soh_pct,
            measured_soh_pct=run.measured_soh_pct,
            tolerance_pct_points=settings.SOH_TOLERANCE_PCT_POINTS,
        )
        run.verdict = check.verdict
        run.difference_pct_points = check.difference_pct_points
        run.tolerance_pct_points = check.tolerance_pct_points
        run.verdict_reason = (
            f"pack model approved: measured {check.measured_soh_pct:.1f} % against a claim of "
            f"{check.claimed_soh_pct:.1f} % (±{check.tolerance_pct_points:g} points)"
        )
        run.save(
            update_fields=[
                "verdict", "difference_pct_points", "tolerance_pct_points", "verdict_reason"
            ]
        )  # fmt: skip
    return runs


TEST_DATA_DIR = "test-data"


def test_data_orphans_sweep(
    *, older_than: timedelta = ORPHAN_GRACE, dry_run: bool = False, progress=None
) -> SweepResult:
    """Remove stored test-data files that no upload refers to (see `core.files`)."""
    return storage_orphans_sweep(
        model=TestRecord, field="file", directory=TEST_DATA_DIR,
        older_than=older_than, dry_run=dry_run, progress=progress,
    )  # fmt: skip
