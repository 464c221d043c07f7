"""The pipeline's locks on PostgreSQL: writers on different lots never deadlock."""

import threading
import time

import pytest
from django.db import connection

from marketplace import pipeline, services, tasks
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.models import Verification


def run_together(*work) -> list[str]:
    errors: list[str] = []

    def wrap(job):
        def run():
            try:
                job()
            except Exception as error:  # reported by the test
                errors.append(repr(error)[:300])
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(job)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_submit_and_a_verification_of_the_same_pack_model_do_not_deadlock(
    require_postgres, alice, volta, lfp_telecom_pack, monkeypatch
):
    """The verification holds its lot and waits for the audit head; the submit of another lot
    of the same pack model holds the head: neither may wait for a row the other holds (the
    pack model's row once was, through select_related under FOR UPDATE)."""
    monkeypatch.setattr(tasks.verify_test_record, "delay", lambda *args: None)
    measured = LotFactory(
        supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=90, quantity=1
    )
    record = services.test_data_upload(
        user=alice,
        pack=PackFactory(lot=measured),
        uploaded_file=capacity_test_upload(soh_pct=90, pack_model=lfp_telecom_pack),
    )
    draft = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft")
    PackFactory(lot=draft)
    store, storing = pipeline.verification_store, threading.Event()

    def slow_store(**kwargs):
        storing.set()
        time.sleep(1.0)
        return store(**kwargs)

    monkeypatch.setattr(pipeline, "verification_store", slow_store)

    def submit():
        storing.wait(20)
        time.sleep(0.2)
        services.lot_submit(user=alice, lot=Lot.objects.get(pk=draft.pk))

    errors = run_together(lambda: pipeline.test_record_verify(test_record_id=record.pk), submit)
    assert errors == []
    assert Lot.objects.get(pk=draft.pk).status == "submitted"
    assert Lot.objects.get(pk=measured.pk).status == "verified"


@pytest.mark.django_db(transaction=True)
def test_crossed_duplicates_in_two_lots_do_not_deadlock(
    require_postgres, alice, volta, lfp_telecom_pack, monkeypatch
):
    """File X proved a pack of lot A and file Y a pack of lot B; X is offered for B and Y for A
    at once. Each worker must lock both lots: in the same order, or they deadlock."""
    monkeypatch.setattr(tasks.verify_test_record, "delay", lambda *args: None)
    lot_a = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=90, quantity=2)
    lot_b = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=80, quantity=2)
    a1, a2 = PackFactory(lot=lot_a), PackFactory(lot=lot_a)
    b1, b2 = PackFactory(lot=lot_b), PackFactory(lot=lot_b)

    def file_x():
        return capacity_test_upload(soh_pct=90, pack_model=lfp_telecom_pack)

    def file_y():
        return capacity_test_upload(soh_pct=80, pack_model=lfp_telecom_pack)

    for pack, make in ((a1, file_x), (b1, file_y)):
        record = services.test_data_upload(user=alice, pack=pack, uploaded_file=make())
        pipeline.test_record_verify(test_record_id=record.pk)
    x_for_b = services.test_data_upload(user=alice, pack=b2, uploaded_file=file_x())
    y_for_a = services.test_data_upload(user=alice, pack=a2, uploaded_file=file_y())
    find = pipeline.verification_duplicates_find

    def slow_find(**kwargs):
        found = find(**kwargs)
        time.sleep(1.0)  # both workers have found their duplicates before either locks a lot
        return found

    monkeypatch.setattr(pipeline, "verification_duplicates_find", slow_find)
    errors = run_together(
        lambda: pipeline.test_record_verify(test_record_id=x_for_b.pk),
        lambda: pipeline.test_record_verify(test_record_id=y_for_a.pk),
    )
    assert errors == []
    verdicts = set(Verification.objects.values_list("verdict", flat=True))
    assert verdicts == {"duplicate"}
    assert set(Lot.objects.values_list("status", flat=True)) == {"discrepancy"}


@pytest.mark.django_db(transaction=True)
def test_racing_creates_of_one_reference_give_one_lot_and_clear_refusals(
    require_postgres, alice, volta, lfp_telecom_pack
):
    """A race past the reference check meets the unique index: a field error, never a 500."""

    def create(n: int):
        return lambda: services.lot_create(
            user=alice, supplier=volta, pack_model=lfp_telecom_pack, reference="RACE-1",
            location="Leeds", quantity=1, claimed_soh_pct=85, price_per_kwh=90,
            packs=[{"serial": f"RACE-P{n}"}],
        )  # fmt: skip

    errors = run_together(*(create(n) for n in range(8)))
    assert Lot.objects.filter(reference="RACE-1").count() == 1
    assert len(errors) == 7
    assert all("already has a lot with reference 'RACE-1'" in error for error in errors), errors
