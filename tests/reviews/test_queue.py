"""The auditors' queue: what is in it, in what order, under which filters, at what cost."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from reviews.domain.risk import DEEP_DISCHARGE_KIND, SAFETY_EVENT_KINDS, ItemKind
from reviews.filters import QueueFilterForm
from reviews.queue import review_queue, supplier_bad_shares
from reviews.services import supplier_answer_create, supplier_request_create
from suppliers.choices import ROUTING_EVENT_NAMES, HistoryEventKind, LotStatus, OrganisationKind
from suppliers.models import HistoryEvent, Lot
from tests.factories import LotFactory, OrganisationFactory, PackFactory, PackModelFactory
from tests.reviews.scenarios import (
    claimed_lot,
    partial_discharge_csv,
    upload,
    upload_text,
    wrong_pack_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_lot(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    def make(packs, *, supplier=volta, pack_model=lfp_telecom_pack, **fields):
        return claimed_lot(
            supplier=supplier, pack_model=pack_model, uploader=alice,
            callbacks=django_capture_on_commit_callbacks, packs=packs, **fields,
        )  # fmt: skip

    return make


def kinds(queue) -> list[tuple[str, str]]:
    return [(item.kind, item.lot.reference) for item in queue.items]


def test_the_risk_domain_knows_every_history_event_routing_reads():
    assert SAFETY_EVENT_KINDS | {DEEP_DISCHARGE_KIND} == set(ROUTING_EVENT_NAMES)


def test_a_discrepancy_is_queued_for_its_pack_with_rounded_reasons(make_lot):
    lot = make_lot([(92, 75), (85, 84)], reference="OVER-1")
    assert lot.status == LotStatus.DISCREPANCY
    queue = review_queue()
    assert kinds(queue) == [(ItemKind.DISCREPANCY, "OVER-1")]
    item = queue.items[0]
    assert item.pack.serial == "OVER-1-1"
    assert item.reasons[0] == "measured 17.0 SOH points below the claim"
    assert item.link.endswith(f"/review/lots/{lot.pk}/#pack-{item.pack.pk}")
    assert queue.counts == {ItemKind.DISCREPANCY: 1}


def test_a_confirmed_lot_is_not_work(make_lot):
    make_lot([(85, 84), (80, 80)])
    assert review_queue().items == []


def test_a_bigger_discrepancy_ranks_higher(make_lot):
    make_lot([(90, 84)], reference="SMALL")
    make_lot([(95, 70)], reference="BIG")
    make_lot([(90, 80)], reference="MIDDLE")
    assert [ref for _, ref in kinds(review_queue())] == ["BIG", "MIDDLE", "SMALL"]


def test_a_superseded_run_is_history_not_work(make_lot, alice, django_capture_on_commit_callbacks):
    lot = make_lot([(90, 70)], reference="RETESTED")
    pack = lot.packs.get()
    upload(user=alice, pack=pack, soh=50, callbacks=django_capture_on_commit_callbacks, seed=7)
    items = review_queue().items
    # Two discrepancy runs for the pack, one item: the latest run's 40 points, not the first 20.
    assert len(items) == 1
    assert items[0].run.measured_soh_pct == pytest.approx(50, abs=0.6)


def test_agreeing_new_data_leave_the_lot_for_an_auditor_to_settle(
    make_lot, alice, django_capture_on_commit_callbacks
):
    lot = make_lot([(90, 75)], reference="AGREES-LATER")
    upload(
        user=alice, pack=lot.packs.get(), soh=90, callbacks=django_capture_on_commit_callbacks,
        seed=9,
    )  # fmt: skip
    lot.refresh_from_db()
    assert lot.status == LotStatus.DISCREPANCY
    items = review_queue().items
    assert [(i.kind, i.pack) for i in items] == [(ItemKind.DISCREPANCY, None)]


def test_an_approved_lot_leaves_the_queue(make_lot, audrey):
    from reviews.services import lot_decide

    lot = make_lot([(90, 75)])
    lot_decide(user=audrey, lot_id=lot.pk, decision="approve", reason="Cells replaced; checked")
    assert review_queue().items == []


def test_duplicate_evidence_is_queued(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=2)
    for serial in ("TWIN-1", "TWIN-2"):
        pack = PackFactory(lot=lot, serial=serial)
        upload(user=alice, pack=pack, soh=84, callbacks=django_capture_on_commit_callbacks)
    queue = review_queue()
    assert ItemKind.DUPLICATE in {item.kind for item in queue.items}
    assert queue.items[0].kind == ItemKind.DUPLICATE


def test_inconclusive_rejected_and_failed_evidence_are_queued_per_pack(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=3)
    texts = {
        "PARTIAL": partial_discharge_csv(lfp_telecom_pack),
        "WRONG": wrong_pack_csv(lfp_telecom_pack),
        "BROKEN": "time_s,current_a,voltage_v\n0,1,2\n",
    }
    for serial, text in texts.items():
        pack = PackFactory(lot=lot, serial=serial)
        upload_text(user=alice, pack=pack, text=text, callbacks=django_capture_on_commit_callbacks)
    found = {item.pack.serial: item for item in review_queue().items}
    assert {serial: item.kind for serial, item in found.items()} == {
        "PARTIAL": ItemKind.INCONCLUSIVE,
        "WRONG": ItemKind.REJECTED_EVIDENCE,
        "BROKEN": ItemKind.REJECTED_EVIDENCE,
    }
    assert "No complete capacity test" in found["PARTIAL"].summary
    assert "verification failed: missing column" in found["BROKEN"].summary
    # A good test for the partial pack supersedes its inconclusive run.
    upload(
        user=alice, pack=lot.packs.get(serial="PARTIAL"), soh=84,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert "PARTIAL" not in {item.pack.serial for item in review_queue().items if item.pack}


def test_an_extra_test_that_proved_nothing_on_a_verified_lot_is_no_work(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=3)
    for n in (1, 2, 3):
        upload(user=alice, pack=PackFactory(lot=lot, serial=f"OK-{n}"), soh=84, seed=n,
               callbacks=django_capture_on_commit_callbacks)  # fmt: skip
    extra = PackFactory(lot=lot, serial="EXTRA")
    upload_text(user=alice, pack=extra, text=partial_discharge_csv(lfp_telecom_pack),
                callbacks=django_capture_on_commit_callbacks)  # fmt: skip
    lot.refresh_from_db()
    assert lot.status == LotStatus.VERIFIED
    assert not [item for item in review_queue().items if item.lot.pk == lot.pk]


def test_a_held_route_is_queued_with_the_rule_that_held_it(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=1)
    HistoryEvent.objects.create(
        lot=lot, kind=HistoryEventKind.DEEP_DISCHARGE, occurred_on=date(2024, 2, 1)
    )
    pack = PackFactory(lot=lot, claimed_soh_pct=84)
    upload(user=alice, pack=pack, soh=84, callbacks=django_capture_on_commit_callbacks)
    lot.refresh_from_db()
    assert lot.summary.route == "hold"
    [item] = [i for i in review_queue().items if i.kind == ItemKind.HELD_ROUTE]
    assert item.lot == lot and item.pack is None
    assert "discharged below the maker's minimum voltage" in item.summary
    assert "history records deep discharge" in item.reasons


def test_a_lot_short_of_its_plan_for_too_long_is_queued(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=10)
    pack = PackFactory(lot=lot, claimed_soh_pct=84)
    upload(user=alice, pack=pack, soh=84, callbacks=django_capture_on_commit_callbacks)
    lot.refresh_from_db()
    assert lot.status in (LotStatus.SUBMITTED, LotStatus.VERIFYING)
    assert lot.summary.packs_measured < lot.summary.sample_size_required
    assert review_queue().items == []  # submitted today: not too long yet
    Lot.objects.filter(pk=lot.pk).update(created_at=timezone.now() - timedelta(days=15))
    [item] = review_queue().items
    assert item.kind == ItemKind.SHORT_OF_PLAN
    assert item.age_days == 15
    assert "1 of 3 packs" in item.summary


def test_a_question_takes_the_lot_out_until_the_supplier_answers(make_lot, alice, audrey):
    lot = make_lot([(92, 75)], reference="ASKED")
    request = supplier_request_create(
        user=audrey, lot_id=lot.pk, kind="question", text="Which cycler ran this test?"
    )
    queue = review_queue()
    assert queue.items == []
    assert queue.waiting_for_supplier == 1
    supplier_answer_create(user=alice, request_id=request.pk, text="An Arbin BT-2000.")
    queue = review_queue()
    assert sorted(kinds(queue)) == [
        (ItemKind.ANSWER_WAITING, "ASKED"),
        (ItemKind.DISCREPANCY, "ASKED"),
    ]
    assert queue.items[0].kind == ItemKind.ANSWER_WAITING  # a person is waiting: first
    assert queue.waiting_for_supplier == 0


def test_filters_by_kind_chemistry_supplier_and_age(
    make_lot, rob, recell, nmc_module, django_capture_on_commit_callbacks
):
    make_lot([(92, 75)], reference="VOLTA-LFP")
    nmc = claimed_lot(
        supplier=recell, pack_model=nmc_module, uploader=rob,
        callbacks=django_capture_on_commit_callbacks, packs=[(95, 82)], reference="RECELL-NMC",
    )  # fmt: skip
    assert len(review_queue().items) == 2
    assert kinds(review_queue(chemistry="NMC")) == [(ItemKind.DISCREPANCY, "RECELL-NMC")]
    assert kinds(review_queue(supplier_id=recell.pk)) == [(ItemKind.DISCREPANCY, "RECELL-NMC")]
    assert review_queue(kind=ItemKind.HELD_ROUTE).items == []
    # The counts ignore the kind filter, so the other kinds stay one click away.
    assert review_queue(kind=ItemKind.HELD_ROUTE).counts == {ItemKind.DISCREPANCY: 2}
    assert review_queue(older_than_days=3).items == []
    later = timezone.now() + timedelta(days=4)
    assert len(review_queue(older_than_days=3, now=later).items) == 2
    nmc_item = review_queue(chemistry="NMC").items[0]
    assert nmc_item.reasons[0].startswith("measured 13.0 SOH points below")
    assert nmc.summary.route


def test_nmc_near_the_80_percent_threshold_ranks_above_the_same_lfp_gap(
    make_lot, rob, recell, nmc_module, django_capture_on_commit_callbacks
):
    make_lot([(87, 80)], reference="LFP-80")
    claimed_lot(
        supplier=recell, pack_model=nmc_module, uploader=rob,
        callbacks=django_capture_on_commit_callbacks, packs=[(87, 80)], reference="NMC-80",
    )  # fmt: skip
    items = review_queue().items
    assert [i.lot.reference for i in items] == ["NMC-80", "LFP-80"]
    assert any("near the 80 % threshold" in r for r in items[0].reasons)


def test_the_suppliers_record_is_its_share_of_bad_latest_runs(make_lot, volta, recell):
    make_lot([(92, 75), (85, 84), (80, 80), (70, 70)])
    assert supplier_bad_shares(supplier_ids={volta.pk, recell.pk}) == {volta.pk: 0.25}


def test_the_supplier_filter_lists_only_suppliers(volta, recell, bianca):
    both = OrganisationFactory(name="Both Ways", kind=OrganisationKind.BOTH)
    OrganisationFactory(name="Only Buys", kind=OrganisationKind.BUYER)
    names = [org.name for org in QueueFilterForm().fields["supplier"].queryset]
    assert names == sorted(["Volta Fleet Services", "ReCell Dismantling", both.name])


def test_a_bad_filter_value_shows_the_whole_queue():
    form = QueueFilterForm({"older_than_days": "-4", "kind": "nonsense"})
    assert form.queue_filters() == {}
    assert form.errors.keys() == {"older_than_days", "kind"}


def busy_queue(n, *, alice, audrey, volta, callbacks):
    """n items of several kinds, each on its own lot: discrepancies, held routes, answers."""
    held_model = PackModelFactory(model="held")
    for index in range(n):
        kind = index % 3
        if kind == 1:
            lot = LotFactory(supplier=volta, pack_model=held_model, claimed_soh_pct=84, quantity=1)
            HistoryEvent.objects.create(
                lot=lot, kind=HistoryEventKind.DEEP_DISCHARGE, occurred_on=date(2024, 2, 1)
            )
            upload(user=alice, pack=PackFactory(lot=lot, claimed_soh_pct=84), soh=84,
                   callbacks=callbacks, seed=index)  # fmt: skip
            continue
        lot = LotFactory(supplier=volta, claimed_soh_pct=95, quantity=1)
        pack = PackFactory(lot=lot, claimed_soh_pct=95)
        upload(user=alice, pack=pack, soh=70 + index % 10, callbacks=callbacks, seed=index)
        if kind == 2:
            request = supplier_request_create(
                user=audrey, lot_id=lot.pk, kind="question", text="Why so low?", pack_id=pack.pk
            )
            supplier_answer_create(user=alice, request_id=request.pk, text="Aged in storage.")


# session, user, open requests, evidence runs, lots, answers, events, lot figures, supplier
# record, the nav's supplier check, the filter's supplier choices
QUEUE_QUERY_CAP = 11


@pytest.mark.parametrize("n", [5, 20])
def test_the_queue_page_makes_a_fixed_number_of_queries(
    n, client, alice, audrey, volta, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):  # fmt: skip
    busy_queue(n, alice=alice, audrey=audrey, volta=volta,
               callbacks=django_capture_on_commit_callbacks)  # fmt: skip
    client.force_login(audrey)
    with django_assert_max_num_queries(QUEUE_QUERY_CAP):
        response = client.get("/review/?chemistry=LFP")
    items = response.context["queue"].items
    # Each answered lot shows twice (its answer and its discrepancy): more items than lots.
    assert len(items) >= n
    assert {i.kind for i in items} == {
        ItemKind.DISCREPANCY, ItemKind.HELD_ROUTE, ItemKind.ANSWER_WAITING,
    }  # fmt: skip


def test_measurements_waiting_for_their_pack_model_are_queued_until_it_is_approved(
    client, alice, audrey, volta, django_capture_on_commit_callbacks
):
    unapproved = PackModelFactory(manufacturer="Acme", model="X1", approved_at=None)
    lot = LotFactory(supplier=volta, pack_model=unapproved, claimed_soh_pct=84, quantity=1)
    upload(user=alice, pack=PackFactory(lot=lot, serial="U-1"), soh=84,
           callbacks=django_capture_on_commit_callbacks)  # fmt: skip
    kinds = {item.kind for item in review_queue().items if item.lot.pk == lot.pk}
    assert kinds == {ItemKind.UNAPPROVED_MODEL}
    client.force_login(alice)
    assert (
        client.post(f"/review/lots/{lot.pk}/approve-pack-model/", {"note": "x"}).status_code == 403
    )
    client.force_login(audrey)
    page = client.get(f"/review/lots/{lot.pk}/").content.decode()
    assert 'id="approve-model-button"' in page
    client.post(f"/review/lots/{lot.pk}/approve-pack-model/", {"note": "Maker's datasheet rev 3"})
    unapproved.refresh_from_db()
    assert unapproved.approved_at is not None
    assert not [item for item in review_queue().items if item.lot.pk == lot.pk]
