"""The admin shows evidence and verdicts; it never adds, edits or deletes them, superusers
included."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace import services
from marketplace.history import document_upload, history_event_add
from routing.selectors import rule_set_active
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.documents import pdf
from tests.factories import LotFactory, PackFactory, capacity_test_upload

EVIDENCE = [
    "suppliers/lot",
    "verification/testrecord",
    "verification/measurement",
    "verification/verification",
    "verification/discrepancyclaim",
    "routing/routingdecision",
    "routing/ruleset",
    "routing/reroutejob",
    "marketplace/lotsummary",
    "audit/auditentry",
]


@pytest.fixture
def discrepancy(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    """Measured at 78.9 % against a 90 % claim."""
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=90)
    pack = PackFactory(lot=lot)
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(
            user=alice,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=78.9, pack_model=lfp_telecom_pack),
        )
    return Lot.objects.get(pk=lot.pk)


@pytest.mark.parametrize("model", EVIDENCE)
def test_evidence_is_shown_but_cannot_be_added_or_deleted(client, audrey, discrepancy, model):
    client.force_login(audrey)
    assert client.get(f"/admin/{model}/").status_code == 200
    assert client.get(f"/admin/{model}/add/").status_code == 403


def test_a_superuser_cannot_set_a_lot_to_verified_in_the_admin(client, audrey, discrepancy):
    lot = discrepancy
    assert lot.status == LotStatus.DISCREPANCY
    client.force_login(audrey)
    page = client.get(f"/admin/suppliers/lot/{lot.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content and b'name="_save"' not in page.content
    response = client.post(f"/admin/suppliers/lot/{lot.pk}/change/", {"status": "verified"})
    assert response.status_code == 403
    assert client.post(f"/admin/suppliers/lot/{lot.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.DISCREPANCY


def test_a_published_rule_set_cannot_be_edited_in_the_admin(client, audrey, db):
    rule_set = rule_set_active()
    client.force_login(audrey)
    url = f"/admin/routing/ruleset/{rule_set.pk}/change/"
    response = client.post(url, {"name": "default", "version": 1, "thresholds": "{}"})
    assert response.status_code == 403
    rule_set.refresh_from_db()
    assert rule_set.thresholds["reuse_ess_min_soh_pct"] == 60.0


def test_the_demo_gives_auditors_view_permissions_only(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", verbosity=0)
    codenames = set(
        Group.objects.get(name="Auditors").permissions.values_list("codename", flat=True)
    )
    assert "view_lot" in codenames and "view_auditentry" in codenames
    assert all(code.startswith("view_") for code in codenames)


def test_the_lot_pages_inlines_do_not_query_per_row(client, audrey, alice, volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT)
    client.force_login(audrey)
    url = f"/admin/suppliers/lot/{lot.pk}/change/"

    def add_rows(count: int, start: int) -> None:
        for n in range(start, start + count):
            pack = PackFactory(lot=lot, serial=f"ADM-{n}")
            event = history_event_add(
                user=alice, lot=lot, pack=pack,
                fields={"kind": "storage", "occurred_on": date(2025, 7, 1)},
            )  # fmt: skip
            document_upload(
                user=alice, lot=lot, pack=pack, history_event=event,
                uploaded_file=pdf(extra=str(n).encode()), kind="safety_data_sheet",
            )  # fmt: skip

    Lot.objects.filter(pk=lot.pk).update(quantity=20)
    add_rows(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_rows(8, 2)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
