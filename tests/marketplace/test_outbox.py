"""The upload outbox: an upload stored while the broker is unreachable answers 201 and is
sent by the relay once the broker is back."""

from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError as BrokerError

from marketplace import tasks
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.choices import TestRecordStatus
from verification.models import TestRecord


@pytest.fixture
def pack(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, claimed_soh_pct=84, quantity=1)
    return PackFactory(lot=lot, serial="OUTBOX-1")


def broker_down(*args, **kwargs):
    # What kombu raises when Redis refuses the connection (checked against a closed port).
    raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_an_upload_while_the_broker_is_down_is_stored_and_relayed_later(
    api, alice, pack, lfp_telecom_pack, monkeypatch, django_capture_on_commit_callbacks
):
    api.force_authenticate(alice)
    with monkeypatch.context() as down:
        down.setattr(tasks.verify_test_record, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/api/packs/{pack.pk}/test-records/",
                {"file": capacity_test_upload(soh_pct=84, pack_model=lfp_telecom_pack)},
                format="multipart",
            )
        assert response.status_code == 201, response.content
        record = TestRecord.objects.get(pk=response.json()["id"])
        assert (record.status, record.queued_at) == (TestRecordStatus.PENDING, None)
        # The relay finds the broker still down: nothing is lost, nothing is marked sent.
        TestRecord.objects.filter(pk=record.pk).update(
            uploaded_at=record.uploaded_at - timedelta(seconds=10)
        )
        assert tasks.relay_unqueued_test_records() == 0
    # The broker is back (tasks run eagerly here): the next relay sends it.
    assert tasks.relay_unqueued_test_records() == 1
    record.refresh_from_db()
    assert record.status == TestRecordStatus.DONE
    assert record.queued_at is not None
    assert tasks.relay_unqueued_test_records() == 0


def test_the_relay_leaves_fresh_uploads_to_their_own_send(
    alice, pack, lfp_telecom_pack, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.verify_test_record, "delay", lambda pk: sent.append(pk))
    TestRecord.objects.create(
        pack=pack, original_name="x.csv", sha256="0" * 64, size_bytes=1, file="x.csv"
    )
    assert tasks.relay_unqueued_test_records() == 0 and sent == []
