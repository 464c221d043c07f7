"""python manage.py verify_audit_chain: intact, or exit status 1 naming the first broken entry."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from audit.services import AuditInput, audit_record, audit_record_many

pytestmark = pytest.mark.django_db


def verify(verbosity: int = 0) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_audit_chain", verbosity=verbosity, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def broken() -> str:
    with pytest.raises(CommandError) as error:
        verify()
    assert error.value.returncode == 1
    return str(error.value)


@pytest.fixture
def trail(alice, audrey) -> list[AuditEntry]:
    """Five entries on lot 12: created, verified, routed, auditor's note, listed."""
    steps = [
        (alice, "lot.create", None, {"status": "draft"}, ""),
        (None, "verification.result", None, {"soh_pct": 78.9, "confirmed": True}, ""),
        (None, "routing.decision", None, {"route": "reuse-ESS"}, "rule set default v1"),
        (audrey, "lot.transition", {"status": "draft"}, {"status": "listed"}, "claim checked"),
        (alice, "lot.transition", {"status": "listed"}, {"status": "reserved"}, ""),
    ]
    return [
        audit_record(
            actor=actor,
            action=action,
            object_type="lot",
            object_id=12,
            before=before,
            after=after,
            reason=reason,
            scope="lot:12",
        )
        for actor, action, before, after, reason in steps
    ]


def test_an_intact_chain(trail):
    out, _ = verify()
    assert out.strip() == f"Audit chain intact: 5 entries, head {trail[-1].hash}"


def test_an_empty_chain_is_intact():
    out, _ = verify()
    assert out.strip() == f"Audit chain intact: 0 entries, head {'0' * 64}"


def test_an_edited_reason_is_found(trail, tamper):
    entry = trail[3]
    with tamper():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="")
    assert broken() == (
        f"Audit chain broken at entry #4 (id {entry.pk}, lot.transition on lot 12): "
        "its hash does not match its content (edited)"
    )


def test_an_edited_after_is_found(trail, tamper):
    entry = trail[1]
    with tamper():
        AuditEntry.objects.filter(pk=entry.pk).update(after={"soh_pct": 88.9, "confirmed": True})
    assert broken() == (
        f"Audit chain broken at entry #2 (id {entry.pk}, verification.result on lot 12): "
        "its hash does not match its content (edited)"
    )


def test_a_deleted_middle_entry_is_found(trail, tamper):
    with tamper():
        AuditEntry.objects.filter(pk=trail[2].pk).delete()
    assert broken() == (
        f"Audit chain broken at entry #4 (id {trail[3].pk}, lot.transition on lot 12): "
        "previous entry missing (deleted)"
    )


def test_a_deleted_last_entry_is_found(trail, tamper):
    with tamper():
        AuditEntry.objects.filter(pk=trail[-1].pk).delete()
    assert broken() == (
        "Audit chain broken at entry #5 (missing): entry #5 missing: the chain head records #5 "
        "as the last entry (deleted from the end)"
    )


def test_a_deleted_first_entry_is_found(trail, tamper):
    with tamper():
        AuditEntry.objects.filter(pk=trail[0].pk).delete()
    assert broken().startswith(f"Audit chain broken at entry #2 (id {trail[1].pk}, ")


def test_the_progress_bar_goes_to_stderr_unless_quiet():
    audit_record_many(
        entries=[
            AuditInput(actor=None, action="routing.decision", object_type="lot", object_id=n)
            for n in range(2500)
        ]
    )
    out, err = verify(verbosity=1)
    assert "Checking audit entries" in err
    assert "2500/2500" in err
    assert "Checking" not in out
    assert verify(verbosity=0)[1] == ""
