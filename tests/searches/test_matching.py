"""Matching a lot against saved searches: as the browse page would, once per (search, lot,
event), in the app and by email when asked; and the pipeline's hooks that start it."""

import pytest

from core.errors import ApplicationError
from marketplace import services as marketplace_services
from marketplace.choices import LotEvent
from marketplace.models import LotOfferEvent
from marketplace.services import rule_set_publish
from marketplace.signals import (
    lot_offer_changed,
    lot_offer_route_changed,
    lot_offer_status_changed,
)
from reviews.models import Notification
from reviews.services import lot_decide, lot_route_override
from routing.domain import Thresholds
from searches.models import SavedSearch, SearchMatch
from searches.selectors import saved_searches_matching
from searches.services import saved_search_create, search_matches_record
from searches.tasks import match_saved_searches
from suppliers.choices import LotStatus
from suppliers.models import Membership
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot

pytestmark = pytest.mark.django_db


def notices(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("message", flat=True))


def test_a_lot_matches_the_searches_whose_filters_the_browse_page_would_show_it_under(
    bianca, carlos, verified_lfp
):
    hits = [
        saved_search_create(user=bianca, query=q)
        for q in ("", "chemistry=LFP", "route=reuse-ESS&soh_min=85", "location=leeds")
    ]
    misses = [
        saved_search_create(user=carlos, query=q)
        for q in ("chemistry=NMC", "soh_min=87", "route=recycle", "location=Berlin")
    ]
    matched = saved_searches_matching(lot_id=verified_lfp.pk)
    assert {s.pk for s in matched} == {s.pk for s in hits}
    assert not {s.pk for s in matched} & {s.pk for s in misses}


@pytest.mark.parametrize("status", [LotStatus.SUBMITTED, LotStatus.DISCREPANCY, LotStatus.SOLD])
def test_a_lot_buyers_do_not_browse_matches_nothing(bianca, volta, lfp_telecom_pack, status):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=status)
    saved_search_create(user=bianca, query="")
    assert saved_searches_matching(lot_id=lot.pk) == []
    assert search_matches_record(lot_id=lot.pk, event=LotEvent.VERIFIED) == []
    assert not Notification.objects.exists()


def test_a_lot_below_its_sampling_plan_matches_nothing(bianca, volta, lfp_telecom_pack):
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.VERIFIED,
        summary__packs_measured=1,
    )  # fmt: skip
    saved_search_create(user=bianca, query="")
    assert search_matches_record(lot_id=lot.pk, event=LotEvent.VERIFIED) == []


def test_the_buyer_is_told_once_however_often_the_task_runs(
    bianca, verified_lfp, mailoutbox, django_capture_on_commit_callbacks
):
    search = saved_search_create(user=bianca, query="chemistry=LFP", name="LFP for towers")
    with django_capture_on_commit_callbacks(execute=True):
        assert match_saved_searches(verified_lfp.pk, "verified") == 1
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert match_saved_searches(verified_lfp.pk, "verified") == 0
    match = SearchMatch.objects.get()
    assert (match.search, match.lot, match.event) == (search, verified_lfp, "verified")
    [notice] = Notification.objects.filter(recipient=bianca)
    assert match.notification == notice
    assert notice.lot == verified_lfp and notice.link == verified_lfp.get_absolute_url()
    assert notice.message == (
        "Lot LFP-ESS-1 (LFP, reuse-ESS, measured SOH 86.00 %, Leeds, GB) is newly verified; "
        "it matches your saved search “LFP for towers”."
    )
    assert [m.to for m in mailoutbox] == [[bianca.email]]
    assert (
        "LFP-ESS-1" in mailoutbox[0].body and verified_lfp.get_absolute_url() in mailoutbox[0].body
    )


def test_each_event_is_told_once_and_a_second_re_route_not_at_all(bianca, verified_lfp):
    saved_search_create(user=bianca, query="")
    assert len(search_matches_record(lot_id=verified_lfp.pk, event="verified")) == 1
    assert len(search_matches_record(lot_id=verified_lfp.pk, event="rerouted")) == 1
    assert search_matches_record(lot_id=verified_lfp.pk, event="rerouted") == []
    assert sorted(SearchMatch.objects.values_list("event", flat=True)) == ["rerouted", "verified"]
    assert len(notices(bianca)) == 2
    assert "was re-routed to reuse-ESS" in notices(bianca)[0]


def test_email_only_where_the_search_asks_for_it(
    bianca, carlos, verified_lfp, mailoutbox, django_capture_on_commit_callbacks
):
    saved_search_create(user=bianca, query="chemistry=LFP", email=False)
    saved_search_create(user=carlos, query="route=reuse-ESS", email=True)
    with django_capture_on_commit_callbacks(execute=True):
        search_matches_record(lot_id=verified_lfp.pk, event="verified")
    assert len(notices(bianca)) == 1 and len(notices(carlos)) == 1
    assert [m.to for m in mailoutbox] == [[carlos.email]]


def test_several_searches_of_one_buyer_make_one_notice_naming_them(bianca, verified_lfp):
    saved_search_create(user=bianca, query="chemistry=LFP", name="LFP")
    saved_search_create(user=bianca, query="soh_min=80", name="Healthy")
    recorded = search_matches_record(lot_id=verified_lfp.pk, event="verified")
    assert len(recorded) == 2
    [message] = notices(bianca)
    assert "matches your saved searches “LFP”, “Healthy”." in message
    assert len({m.notification_id for m in SearchMatch.objects.all()}) == 1


def test_a_search_saved_later_is_told_of_a_lot_the_first_was_told_of(bianca, verified_lfp):
    saved_search_create(user=bianca, query="chemistry=LFP", name="LFP")
    search_matches_record(lot_id=verified_lfp.pk, event="verified")
    saved_search_create(user=bianca, query="soh_min=80", name="Healthy")
    [new] = search_matches_record(lot_id=verified_lfp.pk, event="verified")
    assert new.search.name == "Healthy"
    assert "“Healthy”." in notices(bianca)[0]


def test_someone_no_longer_a_buyer_is_not_told(bianca, verified_lfp):
    saved_search_create(user=bianca, query="")
    Membership.objects.filter(user=bianca).delete()
    assert search_matches_record(lot_id=verified_lfp.pk, event="verified") == []
    assert not Notification.objects.exists()


def test_a_stored_query_the_filters_no_longer_accept_matches_nothing(bianca, verified_lfp):
    SavedSearch.objects.create(owner=bianca, name="old", query="route=landfill")
    assert search_matches_record(lot_id=verified_lfp.pk, event="verified") == []


def test_an_unknown_event_is_refused(verified_lfp):
    with pytest.raises(ApplicationError, match="Unknown event 'sold'"):
        search_matches_record(lot_id=verified_lfp.pk, event="sold")


# The hooks: the pipeline and the auditors' decisions start the matching after commit.


@pytest.fixture
def searches(bianca, carlos):
    return {
        "lfp": saved_search_create(user=bianca, query="chemistry=LFP", name="LFP"),
        "nmc": saved_search_create(user=carlos, query="chemistry=NMC", name="NMC"),
        "small": saved_search_create(user=carlos, query="route=small-application", name="Small"),
    }


def test_a_lot_verified_by_the_pipeline_tells_the_matching_buyer_only(
    searches, alice, volta, lfp_telecom_pack, bianca, carlos, django_capture_on_commit_callbacks
):
    lot = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks, reference="PIPE-1",
    )  # fmt: skip
    assert lot.status == LotStatus.VERIFIED
    match = SearchMatch.objects.get()
    assert (match.search, match.lot, match.event) == (searches["lfp"], lot, "verified")
    assert len(notices(bianca)) == 1 and notices(carlos) == []


def test_an_auditors_approval_is_a_verification_buyers_are_told_of(
    searches, alice, audrey, volta, lfp_telecom_pack, bianca, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=85, quantity=1)
    pack = PackFactory(lot=lot, claimed_soh_pct=85)
    with django_capture_on_commit_callbacks(execute=True):
        marketplace_services.test_data_upload(
            user=alice, pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=70.0, pack_model=lfp_telecom_pack),
        )  # fmt: skip
    lot.refresh_from_db()
    assert lot.status == LotStatus.DISCREPANCY and notices(bianca) == []
    with django_capture_on_commit_callbacks(execute=True):
        lot_decide(user=audrey, lot_id=lot.pk, decision="approve", reason="Claim corrected")
    assert SearchMatch.objects.get().event == "verified"
    assert len(notices(bianca)) == 1


def test_an_auditors_route_override_is_a_re_route(
    searches, alice, audrey, volta, lfp_telecom_pack, carlos, bianca,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    lot = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        lot_route_override(
            user=audrey, lot_id=lot.pk, route="small-application", reason="Swollen cells"
        )
    rerouted = SearchMatch.objects.filter(event="rerouted")
    # Carlos's small-application search now matches; Bianca's LFP search still does.
    assert {m.search.name for m in rerouted} == {"Small", "LFP"}
    assert any("re-routed to small-application" in n for n in notices(carlos))


def test_a_new_rule_set_re_routing_a_browsable_lot_tells_its_buyers(
    searches, alice, audrey, volta, lfp_telecom_pack, carlos, django_capture_on_commit_callbacks
):
    lot = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[70.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert lot.summary.route == "reuse-ESS"
    with django_capture_on_commit_callbacks(execute=True):
        rule_set_publish(
            user=audrey, name="default", thresholds=Thresholds(reuse_ess_min_soh_pct=80.0),
            notes="stricter ESS",
        )  # fmt: skip
    lot.summary.refresh_from_db()
    assert lot.summary.route == "small-application"
    assert SearchMatch.objects.get(search=searches["small"]).event == "rerouted"


@pytest.fixture
def lot_id(volta, lfp_telecom_pack) -> int:
    return LotFactory(supplier=volta, pack_model=lfp_telecom_pack).pk


@pytest.fixture
def announced():
    sent = []

    def listen(sender, *, lot_id, event, **kwargs):
        sent.append((lot_id, str(event)))

    lot_offer_changed.connect(listen)
    yield sent
    lot_offer_changed.disconnect(listen)


@pytest.mark.parametrize(
    ("before", "after", "events"),
    [
        ("verifying", "verified", ["verified"]),
        ("discrepancy", "verified", ["verified"]),
        ("draft", "listed", ["verified"]),  # a sub-lot split off a listed lot
        ("verified", "discrepancy", []),
        ("verified", "withdrawn", []),
        ("submitted", "verifying", []),
    ],
)
def test_a_status_change_is_announced_when_buyers_may_newly_browse_the_lot(
    announced, lot_id, before, after, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lot_offer_status_changed(lot_id=lot_id, before=before, after=after)
    assert announced == [(lot_id, e) for e in events]
    assert list(LotOfferEvent.objects.values_list("lot_id", "event")) == announced


@pytest.mark.parametrize(
    ("status_before", "status_after", "route_before", "route_after", "events"),
    [
        ("verified", "verified", "reuse-ESS", "small-application", ["rerouted"]),
        ("verified", "verified", "reuse-ESS", "reuse-ESS", []),
        ("verified", "verified", "", "reuse-ESS", []),  # its first route
        ("verified", "verified", None, "reuse-ESS", []),  # no summary yet
        ("verifying", "verified", "hold", "reuse-ESS", []),  # told as newly verified
        ("verified", "discrepancy", "reuse-ESS", "recycle", []),
        ("submitted", "submitted", "reuse-ESS", "recycle", []),
    ],
)
def test_a_route_change_is_announced_on_a_lot_buyers_browse_before_and_after(
    announced, lot_id, status_before, status_after, route_before, route_after, events,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        lot_offer_route_changed(
            lot_id=lot_id, status_before=status_before, status_after=status_after,
            route_before=route_before, route_after=route_after,
        )  # fmt: skip
    assert announced == [(lot_id, e) for e in events]


def test_nothing_is_announced_before_the_change_commits(
    announced, lot_id, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lot_offer_status_changed(lot_id=lot_id, before="verifying", after="verified")
    assert len(callbacks) == 1 and announced == []
    # The event is in the outbox with the change, waiting for the commit.
    assert LotOfferEvent.objects.get(lot_id=lot_id).relayed_at is None
