from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from suppliers.models import Lot, Pack

from .choices import AUDIT_VERDICTS, TestRecordStatus, VerificationStatus
from .models import TestRecord, Verification


def verification_latest_per_pack(*, lot: Lot) -> dict[int, Verification]:
    """Each pack's most recent verification that measured its SOH (earlier ones stay history).

    Only a complete capacity test that fits the pack carries a measured SOH: an inconclusive,
    rejected or cell-level test, or a BMS snapshot, never stands in here. The measurements
    come without their figures and per-cycle tables (a lot's refresh reads none of them, and
    at 100 packs they are megabytes).
    """
    runs = (
        Verification.objects.filter(
            pack__lot=lot, status=VerificationStatus.DONE, measured_soh_pct__isnull=False
        )
        .select_related("measurement", "test_record")
        .defer(*(f"measurement__{name}" for name in HEAVY_MEASUREMENT_FIELDS))
        .order_by("pack_id", "-finished_at", "-pk")
    )
    latest: dict[int, Verification] = {}
    for run in runs:
        latest.setdefault(run.pack_id, run)
    return latest


def test_record_unsettled_exists(*, lot: Lot) -> bool:
    return TestRecord.objects.filter(
        pack__lot=lot, status__in=[TestRecordStatus.PENDING, TestRecordStatus.PROCESSING]
    ).exists()


def _with_runs(records: QuerySet[TestRecord]) -> QuerySet[TestRecord]:
    """Each record's runs, newest first (`record.runs`), for its verdict in the uploads table.
    The table shows a measurement's columns, never its per-cycle table or curves."""
    heavy = (f"measurement__{name}" for name in HEAVY_MEASUREMENT_FIELDS)
    return (
        records.select_related("pack", "measurement")
        .defer(*heavy)
        .prefetch_related(
            Prefetch(
                "verifications",
                queryset=Verification.objects.filter(status=VerificationStatus.DONE).order_by(
                    "-pk"
                ),
                to_attr="runs",
            )
        )
    )


def test_record_list_for_lot(*, lot: Lot) -> QuerySet[TestRecord]:
    return _with_runs(TestRecord.objects.filter(pack__lot=lot))


def test_record_list_for_pack(*, pack: Pack) -> QuerySet[TestRecord]:
    return _with_runs(TestRecord.objects.filter(pack=pack))


def verification_history_for_pack(*, pack: Pack, include_failed: bool) -> QuerySet[Verification]:
    """Every finished verification of a pack, newest first: new test data never erases the old.

    Failed runs name the supplier's files and their faults, so only those who see the raw test
    data get them.
    """
    statuses = [VerificationStatus.DONE]
    if include_failed:
        statuses.append(VerificationStatus.FAILED)
    return (
        Verification.objects.filter(pack=pack, status__in=statuses)
        .select_related("measurement", "test_record")
        .order_by("-finished_at", "-pk")
    )


def verification_discrepancies() -> QuerySet[Verification]:
    """The auditors' queue of evidence: contradicted claims and duplicate evidence."""
    return Verification.objects.filter(
        verdict__in=AUDIT_VERDICTS, status=VerificationStatus.DONE
    ).select_related("pack__lot__supplier", "measurement")


def test_record_ids_stale(*, older_than: timedelta = timedelta(minutes=15)) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        TestRecord.objects.filter(
            status__in=[TestRecordStatus.PENDING, TestRecordStatus.PROCESSING],
            uploaded_at__lt=cutoff,
        ).values_list("pk", flat=True)[:500]
    )


def test_record_ids_unqueued(*, older_than: timedelta = timedelta(seconds=5)) -> list[int]:
    """Pending uploads whose message never reached the broker (oldest first): the relay's
    outbox. Younger ones are left to the upload's own on-commit send."""
    return list(
        TestRecord.objects.filter(
            status=TestRecordStatus.PENDING,
            queued_at__isnull=True,
            uploaded_at__lt=timezone.now() - older_than,
        )
        .order_by("uploaded_at", "pk")
        .values_list("pk", flat=True)[:500]
    )


def verification_latest_for_record(*, record: TestRecord) -> Verification | None:
    """The newest finished run of one upload (what the file proved), or None."""
    return (
        Verification.objects.filter(test_record=record, status=VerificationStatus.DONE)
        .order_by("-pk")
        .first()
    )


def test_record_unsettled_backlog() -> tuple[int, float | None]:
    """Uploads waiting for or in verification: how many, and the oldest one's age in seconds
    (None when there are none). Readiness shows it; a growing age means workers fall behind."""
    unsettled = TestRecord.objects.filter(
        status__in=[TestRecordStatus.PENDING, TestRecordStatus.PROCESSING]
    )
    oldest = unsettled.order_by("uploaded_at").values_list("uploaded_at", flat=True).first()
    if oldest is None:
        return 0, None
    return unsettled.count(), max(0.0, (timezone.now() - oldest).total_seconds())


# The measurement's columns that grow with the test: the per-cycle table and everything the
# figures engine returned (curves, every DCIR step). Pages and API answers about many packs
# leave them in the database; one pack's figures are read on their own (its page, its charts
# fragment, `GET /api/packs/{id}/figures/`).
HEAVY_MEASUREMENT_FIELDS = ("figures", "cycles")


def verifications_light(runs: QuerySet[Verification]) -> QuerySet[Verification]:
    """`runs` with their measurement and test record, but not the measurement's heavy columns:
    a row shows the few entries its `brief` keeps of them. One query however many runs,
    whatever the size of their tests."""
    return runs.select_related("measurement", "test_record").defer(
        *(f"measurement__{name}" for name in HEAVY_MEASUREMENT_FIELDS)
    )
