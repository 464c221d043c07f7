"""Writers in parallel on PostgreSQL: one chain, no gaps, no forks."""

import itertools
import threading

import pytest
from django.db import connection

from audit.models import AuditEntry
from audit.selectors import audit_chain_verify
from audit.services import AuditInput, audit_record, audit_record_many

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]

THREADS = 8
PER_THREAD = 25


def in_threads(work) -> list[BaseException]:
    """Run work(n) in THREADS threads at once, each on its own connection; their errors."""
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def assert_one_chain(length: int) -> None:
    rows = list(AuditEntry.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, length + 1))
    assert all(b[1] == a[2] for a, b in itertools.pairwise(rows))
    report = audit_chain_verify()
    assert report.ok, report
    assert report.checked == length


def test_parallel_single_records_make_one_chain():
    # The head row does not exist yet: the threads also race to create it.
    def work(n: int) -> None:
        for i in range(PER_THREAD):
            audit_record(
                actor=None,
                action="lot.transition",
                object_type="lot",
                object_id=n,
                after={"thread": n, "i": i},
                scope=f"lot:{n}",
            )

    assert in_threads(work) == []
    assert_one_chain(THREADS * PER_THREAD)
    assert AuditEntry.objects.filter(scope="lot:3").count() == PER_THREAD


def test_parallel_bulk_and_single_records_make_one_chain():
    def work(n: int) -> None:
        if n % 2:
            items = [
                AuditInput(actor=None, action="routing.decision", object_type="lot", object_id=i)
                for i in range(PER_THREAD)
            ]
            entries = audit_record_many(entries=items)
            # One lock for the batch: its entries are consecutive.
            assert [e.seq for e in entries] == list(
                range(entries[0].seq, entries[0].seq + PER_THREAD)
            )
        else:
            for i in range(PER_THREAD):
                audit_record(actor=None, action="lot.create", object_type="lot", object_id=i)

    assert in_threads(work) == []
    assert_one_chain(THREADS * PER_THREAD)


def test_the_check_reads_one_snapshot_while_writers_append():
    audit_record_many(
        entries=[
            AuditInput(actor=None, action="routing.decision", object_type="lot", object_id=n)
            for n in range(4500)
        ]
    )
    levels = []

    def append_elsewhere() -> None:
        try:
            audit_record(actor=None, action="lot.create", object_type="lot", object_id=1)
        finally:
            connection.close()

    def on_progress(checked: int, total: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            levels.append(cursor.fetchone()[0])
        if checked == 2000:
            writer = threading.Thread(target=append_elsewhere)
            writer.start()
            writer.join(timeout=30)

    report = audit_chain_verify(on_progress=on_progress)
    assert report.ok, report
    assert (report.checked, report.head_seq) == (4500, 4500)
    assert levels[:2] == ["repeatable read", "repeatable read"]
    assert audit_chain_verify().checked == 4501
