"""An auditor's route stands over the rules' route, shown to buyers as a person's decision."""

import pytest

from audit.models import AuditEntry
from core.errors import ApplicationError
from marketplace.models import LotSummary
from marketplace.pipeline import lots_reroute_chunk
from marketplace.selectors import rule_set_preview
from marketplace.services import lot_split_by_route
from reviews.services import lot_route_override
from routing.selectors import rule_set_active
from suppliers.models import Lot
from tests.factories import measured_lot


@pytest.fixture
def lot(volta, alice, lfp_telecom_pack, django_capture_on_commit_callbacks):
    return measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84, 85, 86], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip


def test_the_override_is_the_route_buyers_see_and_no_provisional_figure(
    lot, audrey, django_capture_on_commit_callbacks, mailoutbox
):
    rules_route = LotSummary.objects.get(lot=lot).route
    assert rules_route == "reuse-ESS"
    with django_capture_on_commit_callbacks(execute=True):
        lot_route_override(
            user=audrey, lot_id=lot.pk, route="small-application",
            reason="Cells swollen on inspection: stationary storage is out",
        )  # fmt: skip
    summary = LotSummary.objects.get(lot=lot)
    assert (summary.route, summary.route_provisional) == ("small-application", False)
    # The measured figures stay what was measured.
    assert summary.measured_soh_pct == pytest.approx(85, abs=0.6)
    entry = AuditEntry.objects.get(action="review.route_override")
    assert entry.scope == f"lot:{lot.pk}" and "swollen" in entry.reason
    assert len(mailoutbox) == 1 and "small-application" in mailoutbox[0].body

    # A re-route under the rule set keeps the auditor's route.
    lots_reroute_chunk(lot_ids=[lot.pk], rule_set=rule_set_active())
    assert LotSummary.objects.get(lot=lot).route == "small-application"

    lot_route_override(user=audrey, lot_id=lot.pk, route="", reason="Re-inspected: fine")
    assert LotSummary.objects.get(lot=lot).route == rules_route


def test_buyers_see_the_override_as_an_auditors_decision(lot, audrey, bianca, client, api):
    lot_route_override(user=audrey, lot_id=lot.pk, route="recycle", reason="Flood damage found")
    client.force_login(bianca)
    page = client.get(f"/lots/{lot.pk}/").content.decode()
    assert "Route set by an auditor" in page and "Flood damage found" in page
    api.force_authenticate(bianca)
    body = api.get(f"/api/lots/{lot.pk}/").json()
    assert (body["route"], body["route_set_by_auditor"]) == ("recycle", True)
    assert body["route_override_reason"] == "Flood damage found"


@pytest.mark.parametrize("persona", ["alice", "bianca"])
def test_only_auditors_override_and_always_with_a_reason(lot, audrey, persona, request, client):
    user = request.getfixturevalue(persona)
    with pytest.raises(ApplicationError, match="Only auditors"):
        lot_route_override(user=user, lot_id=lot.pk, route="recycle", reason="because")
    client.force_login(user)
    response = client.post(f"/review/lots/{lot.pk}/route/", {"route": "recycle", "reason": "x"})
    assert response.status_code == 403
    with pytest.raises(ApplicationError, match="written"):
        lot_route_override(user=audrey, lot_id=lot.pk, route="recycle", reason="  ")
    with pytest.raises(ApplicationError, match="Unknown route"):
        lot_route_override(user=audrey, lot_id=lot.pk, route="landfill", reason="no")
    assert LotSummary.objects.get(lot=lot).route == "reuse-ESS"
    assert not AuditEntry.objects.filter(action="review.route_override").exists()


def test_the_override_form_posts_through_the_service(lot, audrey, client):
    client.force_login(audrey)
    response = client.post(
        f"/review/lots/{lot.pk}/route/", {"route": "recycle", "reason": "Leak found"}
    )
    assert response.status_code == 302
    assert LotSummary.objects.get(lot=lot).route == "recycle"


def test_the_review_page_offers_the_override_and_re_runs(lot, audrey, client):
    client.force_login(audrey)
    page = client.get(f"/review/lots/{lot.pk}/").content.decode()
    assert 'id="override-button"' in page
    assert "/review/test-records/" in page and "Re-run" in page
    response = client.post(f"/review/lots/{lot.pk}/route/", {"route": "hold", "reason": "Check"})
    assert response["Location"] == f"/review/lots/{lot.pk}/"
    assert "Set by an auditor: hold" in client.get(response["Location"]).content.decode()


def test_an_overridden_route_never_reads_as_measured_and_a_split_cannot_escape_it(
    volta, alice, audrey, bianca, client, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    mixed = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[85.0, 82.0, 45.0],
        uploader=alice, callbacks=django_capture_on_commit_callbacks, reference="MIX",
    )  # fmt: skip
    lot_route_override(user=audrey, lot_id=mixed.pk, route="recycle", reason="Flood damage")
    with pytest.raises(ApplicationError, match="An auditor set this lot's route"):
        lot_split_by_route(user=alice, lot=mixed)
    assert not mixed.sub_lots.exists()
    client.force_login(bianca)
    page = client.get(f"/lots/{mixed.pk}/").content.decode()
    assert "recycle (auditor's decision)" in page
    assert (
        "Backed by measurements on the sampling plan's number of packs"
        not in page.split('id="routing"')[0]
    )
    assert (
        "Suggested warranty for the rules&#x27; route" in page
        or "Suggested warranty for the rules' route" in page
    )


def test_the_rule_set_preview_leaves_an_overridden_lot_where_the_auditor_put_it(lot, audrey):
    lot_route_override(user=audrey, lot_id=lot.pk, route="recycle", reason="Leak found")
    active = rule_set_active()
    preview = rule_set_preview(thresholds=active.as_thresholds(), sample_plan=active.sample_plan)
    assert preview.lots_checked == 1 and not preview.transitions and not preview.changes


def test_a_lot_off_the_platform_keeps_its_route(lot, audrey):
    Lot.objects.filter(pk=lot.pk).update(status="withdrawn")
    with pytest.raises(ApplicationError, match="off the platform"):
        lot_route_override(user=audrey, lot_id=lot.pk, route="recycle", reason="late")
    assert LotSummary.objects.get(lot=lot).route == "reuse-ESS"
