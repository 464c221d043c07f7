import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.pipeline import lots_reroute_chunk, reroute_job_run
from marketplace.selectors import pack_measures, rule_set_preview
from marketplace.services import rule_set_publish
from routing.domain import Thresholds
from routing.domain.sampling import DEFAULT_SAMPLE_PLAN
from routing.models import RerouteJob, RoutingDecision, RuleSet
from routing.selectors import rule_set_active
from routing.services import lots_decide
from suppliers.models import Lot
from tests.factories import measured_lot

STRICTER = Thresholds(reuse_ess_min_soh_pct=80.0)


@pytest.fixture
def lots(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    def make(ref, socs):
        return measured_lot(
            supplier=volta, pack_model=lfp_telecom_pack, soh_values=socs, uploader=alice,
            callbacks=django_capture_on_commit_callbacks, reference=ref,
        )  # fmt: skip

    return {
        "high": make("HIGH", [88.0, 86.0]),
        "mid": make("MID", [70.0]),
        "low": make("LOW", [40.0]),
    }


def test_bulk_decisions_match_the_one_at_a_time_path(lots):
    ids = [lot.pk for lot in lots.values()]
    outcomes = lots_decide(
        lot_ids=ids,
        thresholds=Thresholds(),
        measured=pack_measures(lot_ids=ids),
        sample_plan=DEFAULT_SAMPLE_PLAN,
    )
    assert len(outcomes) == 3
    for outcome in outcomes:
        summary = Lot.objects.get(pk=outcome.lot.pk).summary
        assert outcome.lot_decision.route == summary.route
        assert outcome.lot_decision.provisional == summary.route_provisional


def test_preview_shows_changes_and_writes_nothing(lots):
    before = RoutingDecision.objects.count()
    preview = rule_set_preview(thresholds=STRICTER)
    assert preview.lots_checked == 3
    assert dict(preview.transitions) == {("reuse-ESS", "small-application"): 1}
    assert [c["lot"].reference for c in preview.changes] == ["MID"]
    assert RoutingDecision.objects.count() == before
    assert Lot.objects.get(reference="MID").summary.route == "reuse-ESS"


def test_publish_versions_the_rule_set_and_reroutes_in_the_background(
    lots, audrey, django_capture_on_commit_callbacks
):
    old = rule_set_active()
    with django_capture_on_commit_callbacks(execute=True):
        job = rule_set_publish(
            user=audrey, name=old.name, thresholds=STRICTER, notes="stricter ESS"
        )
    job.refresh_from_db()
    new = rule_set_active()
    assert (new.name, new.version) == (old.name, old.version + 1)
    assert RuleSet.objects.filter(is_active=True).count() == 1
    assert (job.status, job.total_lots, job.processed_lots, job.changed_lots) == ("done", 3, 3, 1)
    mid = Lot.objects.get(reference="MID")
    assert (mid.summary.route, mid.summary.rule_set_id) == ("small-application", new.pk)
    history = list(
        RoutingDecision.objects.filter(lot=mid, pack__isnull=True)
        .order_by("created_at", "pk")
        .values_list("route", "rule_set_id")
    )
    assert history[0] == ("reuse-ESS", old.pk)
    assert history[-1] == ("small-application", new.pk)


def test_a_second_run_of_the_same_job_does_nothing(
    lots, audrey, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = rule_set_publish(user=audrey, name="default", thresholds=STRICTER, notes="x")
    decisions = RoutingDecision.objects.count()
    RerouteJob.objects.filter(pk=job.pk).update(status="pending")
    reroute_job_run(job_id=job.pk)
    assert RoutingDecision.objects.count() == decisions


def test_queries_per_chunk_do_not_grow_with_the_chunk(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    made = [
        measured_lot(
            supplier=volta, pack_model=lfp_telecom_pack, soh_values=[75.0, 72.0], uploader=alice,
            callbacks=django_capture_on_commit_callbacks, reference=f"Q-{i}",
        )
        for i in range(6)
    ]  # fmt: skip
    rule_set = RuleSet.objects.create(name="bench", version=1, thresholds=STRICTER.to_dict())
    with CaptureQueriesContext(connection) as small:
        lots_reroute_chunk(lot_ids=[made[0].pk], rule_set=rule_set)
    with CaptureQueriesContext(connection) as large:
        lots_reroute_chunk(lot_ids=[lot.pk for lot in made[1:]], rule_set=rule_set)
    assert len(large) == len(small)
    assert len(large) <= 16
