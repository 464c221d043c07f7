"""lot_transition: the one writer of a lot's status, with its audit entry, and a person's
verdict that new data cannot undo."""

import threading

import pytest
from django.db import connection, transaction

from audit.models import AuditEntry
from audit.selectors import audit_chain_verify
from core.errors import ApplicationError
from marketplace import services
from marketplace.domain.lifecycle import Action
from marketplace.lifecycle import lot_scope, lot_transition
from marketplace.services import lot_submit, lot_withdraw
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.conftest import ROOT
from tests.factories import LotFactory, PackFactory, capacity_test_upload


def transitions(lot) -> list[tuple[str, str, str]]:
    return [
        (e.before["status"], e.after["status"], e.after["by"])
        for e in AuditEntry.objects.filter(scope=lot_scope(lot.pk), action="lot.transition")
    ]


def test_a_transition_changes_the_status_and_leaves_an_audit_entry(alice, volta):
    lot = LotFactory(supplier=volta, status=LotStatus.DRAFT)
    lot_transition(lot=lot, to="submitted", action=Action.SUBMIT, actor=alice, reason="ready")
    lot.refresh_from_db()
    assert lot.status == LotStatus.SUBMITTED
    entry = AuditEntry.objects.get(scope=lot_scope(lot.pk))
    assert (entry.actor_name, entry.action, entry.reason) == ("alice", "lot.transition", "ready")
    assert (entry.before["status"], entry.after["status"]) == ("draft", "submitted")


def test_a_refused_transition_changes_nothing_and_records_nothing(alice, volta):
    lot = LotFactory(supplier=volta, status=LotStatus.DRAFT)
    with pytest.raises(ApplicationError, match="cannot go from draft to verified"):
        lot_transition(lot=lot, to="verified", action=Action.PIPELINE, actor=None)
    lot.refresh_from_db()
    assert lot.status == LotStatus.DRAFT
    assert not AuditEntry.objects.exists()


def test_compare_and_set_refuses_a_transition_from_a_stale_status(alice, volta):
    lot = LotFactory(supplier=volta, status=LotStatus.DRAFT)
    stale = Lot.objects.get(pk=lot.pk)
    lot_transition(lot=lot, to="submitted", action=Action.SUBMIT, actor=alice)
    with pytest.raises(ApplicationError, match="changed meanwhile"):
        lot_transition(lot=stale, to="withdrawn", action=Action.WITHDRAW, actor=alice)
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.SUBMITTED
    assert len(transitions(lot)) == 1


def test_only_auditors_decide_and_only_with_a_reason(alice, rob, audrey, volta):
    lot = LotFactory(supplier=volta, status=LotStatus.DISCREPANCY)
    for person in (alice, rob, None):
        with pytest.raises(ApplicationError, match="Only auditors"):
            lot_transition(lot=lot, to="verified", action=Action.APPROVE, actor=person, reason="x")
    with pytest.raises(ApplicationError, match="written reason"):
        lot_transition(lot=lot, to="verified", action=Action.APPROVE, actor=audrey, reason=" ")
    lot_transition(
        lot=lot, to="verified", action=Action.APPROVE, actor=audrey, reason="retest on site"
    )
    lot.refresh_from_db()
    assert (lot.status, lot.review_required) == (LotStatus.VERIFIED, True)


def test_another_supplier_cannot_submit_or_withdraw(rob, volta):
    lot = LotFactory(supplier=volta, status=LotStatus.DRAFT)
    for action, target in ((Action.SUBMIT, "submitted"), (Action.WITHDRAW, "withdrawn")):
        with pytest.raises(ApplicationError, match="Only the supplier"):
            lot_transition(lot=lot, to=target, action=action, actor=rob)
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.DRAFT


def upload(user, pack, soh, callbacks, seed=1):
    with callbacks(execute=True):
        services.test_data_upload(
            user=user,
            pack=pack,
            uploaded_file=capacity_test_upload(
                soh_pct=soh, pack_model=pack.lot.pack_model, seed=seed
            ),
        )
    return Lot.objects.get(pk=pack.lot_id)


def test_matching_data_do_not_clear_a_discrepancy(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    """Claim 90 %, measured 78.9 %: a second file that agrees with the claim goes to the
    auditors; the lot does not become verified by itself."""
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=90)
    pack = PackFactory(lot=lot)
    lot = upload(alice, pack, 78.9, django_capture_on_commit_callbacks)
    assert (lot.status, lot.review_required) == (LotStatus.DISCREPANCY, True)
    lot = upload(alice, pack, 90.0, django_capture_on_commit_callbacks, seed=2)
    assert lot.status == LotStatus.DISCREPANCY
    assert ("verifying", "discrepancy", "pipeline") in transitions(lot)
    assert not any(after == "verified" for _, after, _ in transitions(lot))
    results = AuditEntry.objects.filter(scope=lot_scope(lot.pk), action="verification.result")
    assert [e.after["verdict"] for e in results] == ["discrepancy", "confirmed"]


def test_an_auditors_approval_stands_until_data_contradict_it(
    alice, audrey, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=90)
    pack = PackFactory(lot=lot, claimed_soh_pct=90)
    lot = upload(alice, pack, 80.0, django_capture_on_commit_callbacks)
    lot_transition(lot=lot, to="verified", action=Action.APPROVE, actor=audrey, reason="ok")
    lot = upload(alice, pack, 89.5, django_capture_on_commit_callbacks, seed=3)
    assert lot.status == LotStatus.VERIFIED  # agreeing data keep the auditor's verdict
    lot = upload(alice, pack, 70.0, django_capture_on_commit_callbacks, seed=4)
    assert lot.status == LotStatus.DISCREPANCY  # new contradicting data go back to the queue
    assert transitions(lot)[-1] == ("verified", "discrepancy", "pipeline")


def test_withdraw_through_the_page_and_the_api(client, api, alice, bianca, volta):
    page_lot = LotFactory(supplier=volta, status=LotStatus.VERIFIED)
    client.force_login(bianca)
    assert client.post(f"/lots/{page_lot.pk}/withdraw/").status_code == 403
    client.force_login(alice)
    client.post(f"/lots/{page_lot.pk}/withdraw/", {"reason": "sold elsewhere"})
    page_lot.refresh_from_db()
    assert page_lot.status == LotStatus.WITHDRAWN
    assert transitions(page_lot) == [("verified", "withdrawn", "withdraw")]

    api_lot = LotFactory(supplier=volta, status=LotStatus.DRAFT)
    api.force_authenticate(alice)
    response = api.post(f"/api/lots/{api_lot.pk}/withdraw/", {"reason": "x"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")
    again = api.post(f"/api/lots/{api_lot.pk}/withdraw/", {}, format="json")
    assert again.status_code == 400
    assert "cannot go from withdrawn" in again.json()["non_field_errors"][0]
    with pytest.raises(ApplicationError):
        lot_withdraw(user=alice, lot=Lot.objects.get(pk=api_lot.pk))


def test_the_status_guard_catches_a_write_outside_the_lifecycle(volta):
    """The autouse guard in conftest is real: code outside lot_transition that writes a status
    fails the test it runs in, whichever app it lives in."""
    lot = LotFactory(supplier=volta, status=LotStatus.SUBMITTED)
    for where in ("suppliers/services.py", "marketplace/pipeline.py"):
        namespace: dict = {"Lot": Lot}
        code = compile(
            "def sneak(pk):\n    Lot.objects.filter(pk=pk).update(status='verified')\n",
            str(ROOT / where),
            "exec",
        )
        exec(code, namespace)
        with pytest.raises(AssertionError, match="outside lot_transition"), transaction.atomic():
            namespace["sneak"](lot.pk)
    # A write of another column from the same place passes: the guard looks at the status.
    namespace = {"Lot": Lot}
    exec(
        compile(
            "def tidy(pk):\n    Lot.objects.filter(pk=pk).update(location='Hull')\n",
            str(ROOT / "suppliers/services.py"),
            "exec",
        ),
        namespace,
    )
    namespace["tidy"](lot.pk)
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.SUBMITTED


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_of_one_draft_make_one_transition(require_postgres, alice, volta):
    """Eight requests to submit the same draft at once: one wins, the others are refused, and
    the trail records one transition in one unbroken chain."""
    lot = LotFactory(supplier=volta, status=LotStatus.DRAFT)
    PackFactory(lot=lot)
    start, outcomes = threading.Barrier(8), []

    def submit() -> None:
        try:
            start.wait()
            lot_submit(user=alice, lot=Lot.objects.get(pk=lot.pk))
            outcomes.append("submitted")
        except ApplicationError as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("submitted") == 1, outcomes
    assert all("draft" in o for o in outcomes if o != "submitted")
    assert transitions(lot)[0][:2] == ("draft", "submitted")
    assert sum(1 for t in transitions(lot) if t[0] == "draft") == 1
    assert audit_chain_verify().ok
