"""Audit fixtures: tampering as a superuser would, and clean-up for transactional tests."""

from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from audit.models import AuditEntry

TABLE = AuditEntry._meta.db_table


@contextmanager
def triggers_off():
    """The append-only triggers switched off, as the table's owner or a superuser can do."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        yield
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


@pytest.fixture
def tamper():
    """with tamper(): AuditEntry.objects.filter(...).update(...) changes evidence anyway."""
    return triggers_off


@pytest.fixture
def audit_cleared(transactional_db):
    """For transactional tests that write entries: empties the audit tables afterwards.

    The flush between transactional tests TRUNCATEs every table, which the trigger refuses
    while the entry table holds rows.
    """
    yield
    with triggers_off():
        AuditEntry.objects.all().delete()
