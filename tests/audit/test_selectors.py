"""Reading the trail: a page's entries, and the chain check with its report."""

import pytest

from audit.domain import BREAK_EDITED, BREAK_HEAD, BREAK_MISSING, GENESIS_HASH
from audit.models import AuditChainHead, AuditEntry
from audit.selectors import ChainReport, audit_chain_verify, audit_entries_for_scope
from audit.services import AuditInput, audit_record, audit_record_many

pytestmark = pytest.mark.django_db


def record(scope: str, object_id: int = 1) -> AuditEntry:
    return audit_record(
        actor=None, action="lot.transition", object_type="lot", object_id=object_id, scope=scope
    )


def test_entries_for_a_scope_come_oldest_first(django_assert_num_queries):
    first = record("lot:42")
    record("lot:7")
    second = record("lot:42")
    record("lot:420")
    with django_assert_num_queries(1):
        entries = list(audit_entries_for_scope(scope="lot:42"))
    assert [e.pk for e in entries] == [first.pk, second.pk]


def test_an_empty_chain_is_intact():
    assert audit_chain_verify() == ChainReport(ok=True, checked=0, head_hash=GENESIS_HASH)


def test_an_intact_chain_reports_its_head():
    entries = [record("lot:1") for _ in range(3)]
    report = audit_chain_verify()
    assert report.ok
    assert (report.checked, report.head_seq, report.head_hash) == (3, 3, entries[-1].hash)
    assert report.first_broken_seq is None


def test_progress_is_reported_every_chunk_and_at_the_end():
    audit_record_many(
        entries=[
            AuditInput(actor=None, action="routing.decision", object_type="lot", object_id=n)
            for n in range(4500)
        ]
    )
    calls = []
    report = audit_chain_verify(on_progress=lambda checked, total: calls.append((checked, total)))
    assert report.ok
    assert calls == [(2000, 4500), (4000, 4500), (4500, 4500)]


def test_a_broken_chain_names_the_first_broken_entry(tamper):
    entries = [record("lot:12", object_id=12) for _ in range(4)]
    with tamper():
        AuditEntry.objects.filter(pk=entries[1].pk).update(reason="nothing happened")
        AuditEntry.objects.filter(pk=entries[2].pk).update(reason="nor here")
    report = audit_chain_verify()
    assert not report.ok
    assert (report.first_broken_seq, report.first_broken_id) == (2, entries[1].pk)
    assert report.kind == BREAK_EDITED
    assert report.summary == "lot.transition on lot 12"
    assert report.checked == 2


def test_entries_deleted_from_the_end_show_against_the_head(tamper):
    entries = [record("lot:12") for _ in range(3)]
    with tamper():
        AuditEntry.objects.filter(pk=entries[-1].pk).delete()
    report = audit_chain_verify()
    assert (report.ok, report.kind) == (False, BREAK_MISSING)
    assert (report.first_broken_seq, report.first_broken_id, report.summary) == (3, None, "")


def test_a_deleted_head_is_a_break():
    record("lot:12")
    AuditChainHead.objects.all().delete()
    report = audit_chain_verify()
    assert (report.ok, report.kind, report.first_broken_seq) == (False, BREAK_HEAD, None)
