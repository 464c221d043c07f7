"""Invariants the database itself enforces, whatever code writes the rows."""

import pytest
from django.db import IntegrityError, transaction

from marketplace import services
from marketplace.models import LotSummary
from routing.models import RerouteJob, RoutingDecision
from routing.selectors import rule_set_active
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.choices import TestRecordStatus, Verdict
from verification.models import Measurement, TestRecord, Verification


def refused(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_lot_summaries_keep_soh_in_range_and_routes_in_their_choices(volta):
    lot = LotFactory(supplier=volta)
    summary = LotSummary.objects.get(lot=lot)
    for fields in (
        {"measured_soh_pct": 110.5},
        {"measured_soh_pct": -1},
        {"lowest_pack_soh_pct": 111},
        {"route": "landfill"},
        {"measured_soh_pct": 50, "lowest_pack_soh_pct": 60},
    ):
        refused(lambda fields=fields: LotSummary.objects.filter(pk=summary.pk).update(**fields))
    LotSummary.objects.filter(pk=summary.pk).update(
        route="reuse-ESS", measured_soh_pct=100, lowest_pack_soh_pct=0
    )
    # A fresh pack may deliver a little more than its rating: measured figures go up to 110 %.
    LotSummary.objects.filter(pk=summary.pk).update(measured_soh_pct=110, lowest_pack_soh_pct=104)


def test_evidence_rows_keep_their_invariants(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    with django_capture_on_commit_callbacks(execute=True):
        record = services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack),
        )
    refused(lambda: TestRecord.objects.filter(pk=record.pk).update(progress_pct=101))
    refused(lambda: Measurement.objects.filter(test_record=record).update(soh_pct=110.5))
    refused(lambda: Verification.objects.filter(pack=pack).update(measured_soh_pct=110.01))
    refused(lambda: Verification.objects.filter(pack=pack).update(verdict="maybe"))
    refused(lambda: RoutingDecision.objects.filter(lot=pack.lot).update(route="landfill"))
    job = RerouteJob.objects.create(rule_set=rule_set_active(), total_lots=2)
    refused(lambda: RerouteJob.objects.filter(pk=job.pk).update(processed_lots=3))
    refused(lambda: RerouteJob.objects.filter(pk=job.pk).update(changed_lots=1))
    RerouteJob.objects.filter(pk=job.pk).update(processed_lots=2, changed_lots=1)


def test_a_capacity_above_the_nominal_is_refused_with_a_reason(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    """Far more than the nominal (over 110 %) means the file is not this pack's, or its units
    are wrong: the file is read, no SOH stands, and the verdict says why."""
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=lfp_telecom_pack))
    with django_capture_on_commit_callbacks(execute=True):
        record = services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=130, pack_model=lfp_telecom_pack),
        )
    record.refresh_from_db()
    assert record.status == TestRecordStatus.DONE
    run = Verification.objects.get(test_record=record)
    assert run.verdict == Verdict.REJECTED
    assert "130% of the pack model's nominal" in run.verdict_reason
    assert run.measured_soh_pct is None
    assert Measurement.objects.get(test_record=record).soh_pct is None
