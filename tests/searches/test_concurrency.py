"""Two matching tasks for the same lot at once, on PostgreSQL: one notice, not two."""

import threading

import pytest
from django.db import connection

from reviews.models import Notification
from searches import services
from searches.models import SearchMatch
from searches.services import saved_search_create, search_matches_record


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_tell_the_buyer_once(require_postgres, bianca, verified_lfp, monkeypatch):
    saved_search_create(user=bianca, query="chemistry=LFP")
    first_inserted, second_started = threading.Event(), threading.Event()
    create = services.notifications_create

    def held_create(**kwargs):
        # The first run holds its uncommitted row while the second inserts the same one: the
        # second's INSERT waits for the first to commit, then skips the row.
        if threading.current_thread().name == "first":
            first_inserted.set()
            second_started.wait(timeout=30)
            threading.Event().wait(0.5)  # let the second reach its INSERT
        return create(**kwargs)

    monkeypatch.setattr(services, "notifications_create", held_create)
    recorded: dict[str, int] = {}
    errors: list[str] = []

    def run(name: str):
        try:
            if name == "second":
                first_inserted.wait(timeout=30)
                second_started.set()
            recorded[name] = len(search_matches_record(lot_id=verified_lfp.pk, event="verified"))
        except Exception as error:  # reported by the test
            errors.append(repr(error)[:300])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,), name=n) for n in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert recorded == {"first": 1, "second": 0}
    assert SearchMatch.objects.count() == 1
    assert Notification.objects.filter(recipient=bianca).count() == 1
