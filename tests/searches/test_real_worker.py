"""Saved searches with a real Celery worker on Redis and PostgreSQL: a lot verified through
the pipeline tells the buyer whose search it matches, once, and no one else."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.models import LotOfferEvent
from marketplace.tasks import relay_lot_offer_events
from reviews.models import Notification
from searches.models import SearchMatch
from searches.tasks import match_saved_searches
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.e2e.workers import running_worker
from tests.factories import LotFactory, capacity_test_upload


@pytest.fixture
def worker(require_postgres, require_redis, tmp_path):
    log = tmp_path / "worker.log"
    with running_worker(require_redis, log):
        yield log


def wait_for(what: str, predicate, log: Path, timeout_s: float = 90):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"{what}: not within {timeout_s} s; worker log:\n{log.read_text()}")


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.django_db(transaction=True)
def test_a_lot_verified_by_the_worker_tells_the_matching_buyer_once(
    worker, alice, bianca, carlos, volta, lfp_telecom_pack
):
    for person, query in ((bianca, "chemistry=LFP&soh_min=75"), (carlos, "chemistry=NMC")):
        saved = api_for(person).post("/api/saved-searches/", {"query": query}, format="json")
        assert saved.status_code == 201, saved.json()
    api = api_for(alice)
    created = api.post(
        "/api/lots/",
        {
            "reference": "SEARCH-1", "pack_model": lfp_telecom_pack.pk, "location": "Leeds",
            "quantity": 1, "claimed_soh_pct": "83", "price_per_kwh": "90",
            "packs": [{"serial": "S-1"}],
            "history": [{"kind": "manufactured", "occurred_on": "2017-01-01"}],
        },
        format="json",
    ).json()  # fmt: skip
    assert api.post(f"/api/lots/{created['id']}/submit/").status_code == 200
    [pack] = (p["pack"]["id"] for p in created["packs"])
    uploaded = api.post(
        f"/api/packs/{pack}/test-records/",
        {"file": capacity_test_upload(soh_pct=82.0, pack_model=lfp_telecom_pack)},
        format="multipart",
    )
    assert uploaded.status_code == 201
    lot = Lot.objects.get(pk=created["id"])

    def emailed() -> bool:
        return Notification.objects.filter(recipient=bianca, emailed_at__isnull=False).exists()

    wait_for("bianca's notice emailed", emailed, worker)
    lot.refresh_from_db()
    assert lot.status == LotStatus.VERIFIED

    # The same task delivered twice more (a retry, a redelivery), then one for another lot:
    # the worker (one, solo pool) runs them in order, so once the last has told Bianca of its
    # lot, the two repeats have run too.
    match_saved_searches.delay(lot.pk, "verified")
    match_saved_searches.delay(lot.pk, "verified")
    later = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, reference="LATER-1",
        status=LotStatus.VERIFIED, summary__route="reuse-ESS", summary__measured_soh_pct=80,
    )  # fmt: skip
    match_saved_searches.delay(later.pk, "verified")

    def all_emailed() -> bool:
        notices = Notification.objects.filter(recipient=bianca)
        return notices.count() == 2 and not notices.filter(emailed_at__isnull=True).exists()

    wait_for("the later lot's notice emailed", all_emailed, worker)
    assert sorted(SearchMatch.objects.values_list("lot_id", "event")) == [
        (lot.pk, "verified"), (later.pk, "verified"),
    ]  # fmt: skip
    assert {m.search.owner for m in SearchMatch.objects.all()} == {bianca}
    notice = Notification.objects.get(recipient=bianca, lot=lot)
    assert "Lot SEARCH-1" in notice.message and "newly verified" in notice.message
    assert not Notification.objects.filter(recipient=carlos).exists()
    # The console email backend writes to the worker's output: one email per lot, to Bianca.
    lines = worker.read_text().splitlines()
    assert sum(line == f"To: {bianca.email}" for line in lines) == 2
    assert sum(line.startswith("Lot SEARCH-1 (") for line in lines) == 1
    assert not any(carlos.email in line for line in lines)


@pytest.mark.django_db(transaction=True)
def test_an_event_kept_back_by_a_broker_outage_is_relayed_by_the_worker(
    worker, bianca, volta, lfp_telecom_pack
):
    """The beat's relay task, run by the worker: the waiting event reaches the matching task
    through the broker, and the buyer is told once."""
    saved = api_for(bianca).post("/api/saved-searches/", {"query": "chemistry=LFP"}, format="json")
    assert saved.status_code == 201, saved.json()
    lot = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, reference="OUTAGE-1",
        status=LotStatus.VERIFIED, summary__route="reuse-ESS", summary__measured_soh_pct=81,
    )  # fmt: skip
    # As the outbox holds it after an outage: written with the change, never relayed.
    event = LotOfferEvent.objects.create(
        lot=lot, event="verified", created_at=timezone.now() - timedelta(minutes=1)
    )
    relay_lot_offer_events.delay()
    wait_for(
        "the waiting event matched",
        lambda: SearchMatch.objects.filter(lot=lot).exists(),
        worker,
    )
    event.refresh_from_db()
    assert event.relayed_at is not None
    relay_lot_offer_events.delay()  # nothing waits now
    wait_for(
        "bianca's notice emailed",
        lambda: Notification.objects.filter(recipient=bianca, emailed_at__isnull=False).exists(),
        worker,
    )
    assert Notification.objects.filter(recipient=bianca, lot=lot).count() == 1
    assert SearchMatch.objects.filter(lot=lot).count() == 1
