"""audit_record and audit_record_many: the chain they write, and what they store."""

import datetime
import itertools
import math
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from audit.domain import GENESIS_HASH, entry_hash
from audit.models import HEAD_PK, AuditChainHead, AuditEntry
from audit.selectors import audit_chain_verify
from audit.services import COPY_FROM_ENTRIES, AuditInput, audit_record, audit_record_many

pytestmark = pytest.mark.django_db


def record(**overrides) -> AuditEntry:
    values = {
        "actor": None,
        "action": "lot.transition",
        "object_type": "lot",
        "object_id": 12,
        "scope": "lot:12",
    }
    return audit_record(**{**values, **overrides})


def stored_hash(entry: AuditEntry) -> str:
    """The hash recomputed from the row as the database gives it back."""
    from audit.selectors import _ENTRY_FIELDS, _chain_entries

    row = AuditEntry.objects.values_list(*_ENTRY_FIELDS).get(pk=entry.pk)
    (chain_entry,) = _chain_entries(iter([row]))
    return entry_hash(chain_entry.payload(), chain_entry.prev_hash)


def head() -> tuple[int, str]:
    return AuditChainHead.objects.values_list("seq", "hash").get(pk=HEAD_PK)


def test_entries_form_a_chain_from_the_genesis_hash():
    entries = [record(reason=f"step {n}") for n in range(3)]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert len({e.hash for e in entries}) == 3
    assert head() == (3, entries[2].hash)
    assert all(stored_hash(e) == e.hash for e in entries)


def test_the_entry_records_who_what_and_why(alice):
    entry = record(
        actor=alice,
        before={"status": "listed"},
        after={"status": "verified"},
        reason="test data confirms the claim",
    )
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor_id, entry.actor_name) == (alice.pk, "alice")
    assert (entry.action, entry.object_type, entry.object_id) == ("lot.transition", "lot", "12")
    assert (entry.scope, entry.reason) == ("lot:12", "test data confirms the claim")
    assert (entry.before, entry.after) == ({"status": "listed"}, {"status": "verified"})
    assert entry.created_at is not None


def test_no_actor_is_the_system():
    entry = record(actor=None)
    assert (entry.actor_id, entry.actor_name) == (None, "system")


def test_an_unsaved_user_is_refused():
    with pytest.raises(ValueError, match="saved user"):
        record(actor=get_user_model()(username="ghost"))


def test_deleting_the_actor_leaves_the_entry_alone(alice):
    alice_pk = alice.pk
    entry = record(actor=alice)
    alice.delete()
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_name) == (alice_pk, "alice")
    assert audit_chain_verify().ok


def test_created_at_follows_the_chain():
    entries = [record() for _ in range(3)]
    stamps = [AuditEntry.objects.get(pk=e.pk).created_at for e in entries]
    assert stamps == sorted(stamps)
    assert stamps == [e.created_at for e in entries]  # stored as computed, to the microsecond


def test_values_are_stored_the_way_json_gives_them_back():
    moment = datetime.datetime(2026, 12, 1, 10, 30, 15, 123456, tzinfo=datetime.UTC)
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    after = {
        "soh_pct": Decimal("92.50"),
        "tested_on": datetime.date(2026, 11, 30),
        "at": moment,
        "run": key,
        "cells": (1, 2),
        3: "three",
        "big": 1e16,
        "zero": -0.0,
    }
    expected = {
        "soh_pct": "92.50",
        "tested_on": "2026-11-30",
        "at": "2026-12-01T10:30:15.123Z",
        "run": "12345678-1234-5678-1234-567812345678",
        "cells": [1, 2],
        "3": "three",
        "big": 10**16,
        "zero": 0.0,
    }
    entry = record(after=after)
    assert entry.after == expected
    assert AuditEntry.objects.get(pk=entry.pk).after == expected
    assert stored_hash(entry) == entry.hash


@pytest.mark.parametrize(
    "bad",
    [
        {"before": math.nan},
        {"after": {"soh": [1.0, math.inf]}},
        {"after": {"soh": -math.inf}},
        {"before": Decimal("NaN")},
        {"after": {"soh": Decimal("Infinity")}},
    ],
)
def test_nan_and_infinity_are_refused_and_nothing_is_written(bad):
    with pytest.raises(ValueError, match="NaN or Infinity"):
        record(**bad)
    assert not AuditEntry.objects.exists()
    assert not AuditChainHead.objects.exists()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"after": {"note": "a\x00b"}}, "NUL"),
        ({"before": "\ud800"}, "valid Unicode"),
        ({"action": ""}, "action is required"),
        ({"object_type": ""}, "object_type is required"),
        ({"object_id": "x" * 41}, "object_id is longer than 40"),
        ({"action": "a" * 61}, "action is longer than 60"),
        ({"scope": "s" * 61}, "scope is longer than 60"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(bad, message):
    with pytest.raises(ValueError, match=message):
        record(**bad)
    assert not AuditEntry.objects.exists()


def test_objects_json_cannot_hold_are_refused():
    with pytest.raises(TypeError, match="not JSON serializable"):
        record(after={"when": object()})


def test_a_rolled_back_transaction_leaves_no_gap():
    first = record()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(reason="rolled back")
        raise RuntimeError
    second = record()
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert audit_chain_verify().ok


def test_record_many_appends_in_order_under_one_head(alice, django_assert_max_num_queries):
    record()
    items = [
        AuditInput(
            actor=alice if n % 2 else None,
            action="routing.decision",
            object_type="lot",
            object_id=n,
            after={"route": "reuse-ESS", "soh_pct": 60 + n / 100},
            scope=f"lot:{n}",
        )
        for n in range(2500)
    ]
    # The head read and its update, the savepoint statements, and the INSERTs: three of 1000
    # on PostgreSQL, more on SQLite, which limits the parameters of one statement.
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    batch = min(1000, connection.ops.bulk_batch_size(fields, items))
    with django_assert_max_num_queries(5 + math.ceil(len(items) / batch)):
        entries = audit_record_many(entries=items)
    assert [e.seq for e in entries] == list(range(2, 2502))
    assert [e.object_id for e in entries[:3]] == ["0", "1", "2"]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert all(e.pk is not None for e in entries)
    assert head() == (2501, entries[-1].hash)
    assert AuditEntry.objects.count() == 2501
    assert audit_chain_verify().ok


def test_record_many_takes_any_iterable_and_nothing_is_a_no_op():
    assert audit_record_many(entries=iter([])) == []
    assert not AuditChainHead.objects.exists()
    items = (
        AuditInput(actor=None, action="lot.create", object_type="lot", object_id=n)
        for n in range(3)
    )
    assert [e.seq for e in audit_record_many(entries=items)] == [1, 2, 3]


def test_record_many_refuses_all_when_one_is_bad():
    record()
    items = [
        AuditInput(actor=None, action="lot.create", object_type="lot", object_id=1),
        AuditInput(actor=None, action="lot.create", object_type="lot", object_id=2, after=math.nan),
    ]
    with pytest.raises(ValueError, match="NaN"):
        audit_record_many(entries=items)
    assert AuditEntry.objects.count() == 1
    assert head()[0] == 1


def test_a_deleted_head_makes_the_next_append_fail_loudly():
    first = record()
    AuditChainHead.objects.all().delete()
    # seq 1 again: the unique index refuses it, and says so.
    with pytest.raises(IntegrityError, match="seq"), transaction.atomic():
        record()
    assert AuditEntry.objects.count() == 1
    assert first.seq == 1


# Values that change on their way through jsonb (PostgreSQL) must hash the same afterwards.
ROUND_TRIP = [
    78.9,
    0.1 + 0.2,
    1e-7,
    12345678.123456789,
    2**70,
    -(2**63),
    1e16,
    1.5e300,
    5e-324,
    -0.0,
    100.0,
    {"z": 1, "a": {"y": [3, 2, 1], "b": None}, "m": [{"k": 1.25}, [], {}]},
    ["Zoë", "北京", "emoji 🔋", 'quote " and \\ backslash', "tab\tnewline\n"],
    {"": "empty key", "unicode key é": True, "false": False},
    "just a string",
    0,
    [],
    {},
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=repr)
def test_stored_values_hash_the_same_after_the_round_trip(value):
    entry = record(before=value, after={"value": value, "list": [value, value]})
    assert stored_hash(entry) == entry.hash
    assert audit_chain_verify().ok


def test_jsonb_rewrites_the_text_and_the_hash_still_holds(require_postgres):
    after = {"zeta": 1e16, "alpha": 1e-7, "mid": {"b": 0.1 + 0.2, "a": 12345678.123456789}}
    entry = record(after=after)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT after::text FROM {AuditEntry._meta.db_table} WHERE id = %s", [entry.pk]
        )
        (text,) = cursor.fetchone()
    # jsonb sorted the keys its own way (shorter first) and printed numbers as numeric.
    assert text == (
        '{"mid": {"a": 12345678.12345679, "b": 0.30000000000000004}, '
        '"zeta": 10000000000000000, "alpha": 0.0000001}'
    )
    assert stored_hash(entry) == entry.hash


def _batch(n: int) -> list[AuditInput]:
    return [
        AuditInput(actor=None, action="test.batch", object_type="thing", object_id=i,
                   after={"n": i, "text": 'quote " and back\\slash', "nested": [0.1 + 0.2, None]})
        for i in range(n)
    ]  # fmt: skip


def test_a_large_batch_goes_in_by_copy_and_chains_as_an_insert_would(require_postgres):
    rows = audit_record_many(entries=_batch(COPY_FROM_ENTRIES + 5))
    stored = list(AuditEntry.objects.filter(action="test.batch").order_by("seq"))
    assert [row.pk for row in rows] == [entry.pk for entry in stored]
    assert all(row.pk is not None and not row._state.adding for row in rows)
    assert [entry.after for entry in stored] == [row.after for row in rows]
    assert stored[3].after["text"] == 'quote " and back\\slash'
    assert audit_chain_verify().ok


def test_a_large_batch_refused_by_the_database_raises_django_s_error(require_postgres):
    record()
    AuditChainHead.objects.all().delete()
    with pytest.raises(IntegrityError, match="seq"), transaction.atomic():
        audit_record_many(entries=_batch(COPY_FROM_ENTRIES))
    assert AuditEntry.objects.count() == 1
