"""On PostgreSQL the database itself refuses to change or remove audit entries."""

import importlib

import pytest
from django.db import DatabaseError, ProgrammingError, connection, transaction

from audit.models import AuditChainHead, AuditEntry
from audit.selectors import audit_chain_verify
from audit.services import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

TABLE = AuditEntry._meta.db_table
APPEND_ONLY = "audit entries are append-only"


@pytest.fixture
def entries() -> list[AuditEntry]:
    return [
        audit_record(actor=None, action="lot.create", object_type="lot", object_id=n, reason="r")
        for n in range(3)
    ]


def unchanged(entries: list[AuditEntry]) -> bool:
    stored = AuditEntry.objects.order_by("seq").values_list("pk", "reason", "hash")
    return list(stored) == [(e.pk, e.reason, e.hash) for e in entries]


def test_an_update_is_refused(entries):
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[1].pk).update(reason="nothing happened")
    assert unchanged(entries)


def test_saving_a_changed_entry_is_refused(entries):
    entry = entries[0]
    entry.after = {"status": "forged"}
    refused = f"UPDATE on {TABLE} refused"
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        entry.save()
    assert unchanged(entries)


def test_a_delete_is_refused(entries):
    refused = f"DELETE on {TABLE} refused"
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        entries[2].delete()
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert unchanged(entries)


def test_a_truncate_is_refused(entries):
    refused = pytest.raises(DatabaseError, match=f"TRUNCATE on {TABLE} refused")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")
    assert unchanged(entries)


def test_truncating_an_empty_table_is_let_through():
    # So that `flush`, and the test runner between transactional tests, work on a database
    # without entries; it removes nothing.
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")
    assert not AuditEntry.objects.exists()


def test_inserting_and_moving_the_head_still_work(entries):
    entry = audit_record(actor=None, action="lot.create", object_type="lot", object_id=9)
    assert AuditChainHead.objects.get().hash == entry.hash
    assert audit_chain_verify().ok


def test_the_reverse_migration_drops_the_triggers(entries):
    migration = importlib.import_module("audit.migrations.0002_append_only_triggers")
    with transaction.atomic():  # DDL is transactional on PostgreSQL: undone below
        with connection.schema_editor() as editor:
            migration.run_on_postgresql(migration.DROP)(None, editor)
        AuditEntry.objects.filter(pk=entries[0].pk).update(reason="changed")
        assert AuditEntry.objects.get(pk=entries[0].pk).reason == "changed"
        with connection.schema_editor() as editor:
            migration.run_on_postgresql(migration.CREATE)(None, editor)
        with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
            AuditEntry.objects.filter(pk=entries[0].pk).update(reason="again")


def test_a_role_without_update_and_delete_rights_cannot_remove_entries(entries):
    """The README's grants for the web app's role: it records entries, it cannot remove them."""
    role = "secondlife_app_test"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        try:
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {TABLE} FROM {role}")
            cursor.execute(f"SET ROLE {role}")
            try:
                entry = audit_record(
                    actor=None, action="lot.create", object_type="lot", object_id=4
                )
                assert entry.seq == 4
                for statement in (
                    f"DELETE FROM {TABLE}",
                    f"UPDATE {TABLE} SET reason = ''",
                    f"TRUNCATE {TABLE}",
                ):
                    denied = pytest.raises(ProgrammingError, match="permission denied")
                    with denied, transaction.atomic():
                        cursor.execute(statement)
            finally:
                cursor.execute("RESET ROLE")
        finally:
            try:
                with transaction.atomic():
                    cursor.execute(f"DROP OWNED BY {role}")
                    cursor.execute(f"DROP ROLE {role}")
            except DatabaseError:
                pass  # the test's transaction is rolled back anyway, role and grants with it
    assert AuditEntry.objects.count() == 4
