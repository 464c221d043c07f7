"""Buyers' news survives a broker outage: a lot verified while the broker is unreachable is
committed, its event waits in marketplace's outbox, and the beat's relay matches it against
the saved searches once the broker is back, telling each buyer once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from marketplace import tasks as marketplace_tasks
from marketplace.choices import LotEvent
from marketplace.models import LotOfferEvent
from marketplace.signals import lot_offer_announce
from reviews.models import Notification
from searches.models import SearchMatch
from searches.services import saved_search_create
from searches.tasks import match_saved_searches
from suppliers.choices import LotStatus
from tests.factories import LotFactory, measured_lot

pytestmark = pytest.mark.django_db


def broker_down(*args, **kwargs):
    raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def age(event: LotOfferEvent, seconds: float = 60) -> None:
    """As if `seconds` had passed since the event was written (past the relay's grace)."""
    LotOfferEvent.objects.filter(pk=event.pk).update(
        created_at=event.created_at - timedelta(seconds=seconds)
    )


def test_a_lot_verified_while_the_broker_is_down_is_told_once_it_is_back(
    bianca, alice, volta, lfp_telecom_pack, monkeypatch, django_capture_on_commit_callbacks
):
    saved_search_create(user=bianca, query="chemistry=LFP")
    with monkeypatch.context() as down:
        down.setattr(match_saved_searches, "delay", broker_down)
        lot = measured_lot(
            supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84.0], uploader=alice,
            callbacks=django_capture_on_commit_callbacks,
        )  # fmt: skip
        # The verification committed; the buyer has not been told, and the event waits.
        assert lot.status == LotStatus.VERIFIED
        [event] = LotOfferEvent.objects.filter(lot=lot)
        assert (event.event, event.relayed_at) == (LotEvent.VERIFIED, None)
        assert not SearchMatch.objects.exists()
        # Within its grace the relay leaves the event to its own on-commit send.
        assert marketplace_tasks.relay_lot_offer_events() == 0
        age(event)
        # Past it, with the broker still down: tried, kept, nothing marked.
        assert marketplace_tasks.relay_lot_offer_events() == 0
        event.refresh_from_db()
        assert event.relayed_at is None
    # The broker is back (tasks run eagerly here).
    assert marketplace_tasks.relay_lot_offer_events() == 1
    event.refresh_from_db()
    assert event.relayed_at is not None
    assert SearchMatch.objects.get().lot == lot
    assert Notification.objects.filter(recipient=bianca, lot=lot).count() == 1
    # Nothing waits any more; a repeat relay sends nothing and tells no one again.
    assert marketplace_tasks.relay_lot_offer_events() == 0
    assert Notification.objects.filter(recipient=bianca, lot=lot).count() == 1


def test_an_event_relayed_twice_is_still_told_once(
    bianca, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    saved_search_create(user=bianca, query="chemistry=LFP")
    lot = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    [event] = LotOfferEvent.objects.filter(lot=lot)
    assert event.relayed_at is not None  # relayed on commit
    # A relay that read the row just before the commit marked it sends it again.
    LotOfferEvent.objects.filter(pk=event.pk).update(relayed_at=None)
    age(event)
    assert marketplace_tasks.relay_lot_offer_events() == 1
    assert SearchMatch.objects.filter(lot=lot).count() == 1
    assert Notification.objects.filter(recipient=bianca, lot=lot).count() == 1


def test_a_change_rolled_back_leaves_no_event(volta, lfp_telecom_pack, monkeypatch):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack)
    sent = []
    monkeypatch.setattr(match_saved_searches, "delay", lambda *args: sent.append(args))
    with pytest.raises(RuntimeError), transaction.atomic():
        lot_offer_announce(lot_id=lot.pk, event=LotEvent.VERIFIED)
        raise RuntimeError("the change failed")
    assert not LotOfferEvent.objects.exists()
    assert marketplace_tasks.relay_lot_offer_events() == 0
    assert sent == []


def test_relayed_events_are_kept_thirty_days(volta, lfp_telecom_pack, monkeypatch):
    monkeypatch.setattr(match_saved_searches, "delay", lambda *args: None)
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack)
    now, day = timezone.now(), timedelta(days=1)
    _old, recent, waiting = LotOfferEvent.objects.bulk_create(
        [
            LotOfferEvent(lot=lot, event="verified", created_at=now, relayed_at=now - 31 * day),
            LotOfferEvent(lot=lot, event="rerouted", created_at=now, relayed_at=now - 29 * day),
            LotOfferEvent(lot=lot, event="rerouted", created_at=now - 40 * day),
        ]
    )
    assert marketplace_tasks.relay_lot_offer_events() == 1  # the one still waiting
    assert set(LotOfferEvent.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_the_relay_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "marketplace.tasks.relay_lot_offer_events" in tasks
