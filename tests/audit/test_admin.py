"""The admin shows audit entries as evidence: readable by staff, never added, changed or deleted."""

import pytest
from django.contrib import admin

from audit.models import AuditChainHead, AuditEntry
from audit.services import audit_record

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditentry/"


@pytest.fixture
def entry(alice) -> AuditEntry:
    return audit_record(
        actor=alice,
        action="lot.transition",
        object_type="lot",
        object_id=12,
        after={"status": "listed"},
        reason="claim checked by the auditor",
        scope="lot:12",
    )


def test_audrey_reads_the_changelist(client, audrey, entry, django_assert_max_num_queries):
    client.force_login(audrey)
    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"claim checked by the auditor" in response.content
    assert b"lot.transition" in response.content
    assert b"Add audit entry" not in response.content
    assert b'name="action"' not in response.content  # no bulk actions, so no delete_selected


def test_the_changelist_filters_and_searches(client, audrey, entry):
    audit_record(
        actor=None,
        action="rule_set.publish",
        object_type="rule_set",
        object_id=3,
        reason="thresholds v3 published",
    )
    client.force_login(audrey)
    by_action = client.get(CHANGELIST, {"action": "rule_set.publish"})
    assert b"thresholds v3 published" in by_action.content
    assert b"claim checked by the auditor" not in by_action.content
    by_scope = client.get(CHANGELIST, {"q": "lot:12"})
    assert b"claim checked by the auditor" in by_scope.content
    assert b"thresholds v3 published" not in by_scope.content
    by_actor = client.get(CHANGELIST, {"q": "alic"})
    assert b"claim checked by the auditor" in by_actor.content
    assert b"thresholds v3 published" not in by_actor.content


def test_the_add_page_is_forbidden_even_to_a_superuser(client, audrey):
    client.force_login(audrey)
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}add/", {"action": "forged"}).status_code == 403
    assert not AuditEntry.objects.exists()


def test_the_change_view_shows_the_entry_without_a_save_button(client, audrey, entry):
    client.force_login(audrey)
    response = client.get(f"{CHANGELIST}{entry.pk}/change/")
    assert response.status_code == 200
    assert b"claim checked by the auditor" in response.content
    assert b'name="_save"' not in response.content
    assert b'name="_continue"' not in response.content
    assert b"/delete/" not in response.content


def test_posting_a_change_or_a_delete_is_forbidden(client, audrey, entry):
    client.force_login(audrey)
    change = client.post(f"{CHANGELIST}{entry.pk}/change/", {"reason": "forged"})
    assert change.status_code == 403
    assert client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "claim checked by the auditor"


def test_suppliers_do_not_reach_the_audit_admin(client, alice, entry):
    client.force_login(alice)
    assert client.get(CHANGELIST).status_code == 302


def test_the_chain_head_is_not_in_the_admin():
    assert admin.site.is_registered(AuditEntry)
    assert not admin.site.is_registered(AuditChainHead)
