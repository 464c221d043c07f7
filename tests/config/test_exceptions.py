"""A constraint a race ran into answers the field error the checks before it would have given:
400 naming the field, never a 500, never the SQL (config.exceptions)."""

import threading
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from config.exceptions import api_exception_handler, integrity_error_response
from core.models import IdempotencyKey
from suppliers.api import views as supplier_views
from suppliers.models import PackModel
from tests.factories import LotFactory, personal_token


class DriverError(Exception):
    """psycopg's error, as far as the handler reads it: its diagnostics."""

    def __init__(self, **diag):
        super().__init__("driver error")
        self.diag = SimpleNamespace(
            constraint_name=diag.get("constraint"),
            table_name=diag.get("table"),
            message_detail=diag.get("detail"),
        )


def integrity_error(message: str = "duplicate key value", **diag) -> IntegrityError:
    """An IntegrityError as Django raises it from psycopg: the driver's error as its cause."""
    error = IntegrityError(message)
    error.__cause__ = DriverError(**diag)
    return error


@pytest.mark.parametrize(
    ("constraint", "field", "message"),
    [
        ("lot_reference_unique", "reference", "Lot with this reference already exists."),
        ("pack_serial_unique_live", "packs", "Pack with this serial already exists."),
        ("pack_serial_unique_in_lot", "packs", "Pack with this serial already exists."),
        (
            "packmodel_unique_ci",
            "model",
            "Pack model with this manufacturer and model already exists.",
        ),
    ],
)
def test_a_named_unique_constraint_is_a_400_on_its_field(constraint, field, message):
    answer = integrity_error_response(integrity_error(constraint=constraint))
    assert answer.status_code == 400
    assert answer.data == {field: [message]}


def test_a_check_constraint_is_a_400_on_its_field():
    answer = integrity_error_response(integrity_error(constraint="lot_quantity_positive"))
    assert answer.status_code == 400
    assert list(answer.data) == ["quantity"]


def test_a_unique_field_without_a_named_constraint_is_found_by_its_columns():
    error = integrity_error(
        constraint="suppliers_organisation_name_key",
        table="suppliers_organisation",
        detail="Key (name)=(Volta Fleet Services) already exists.",
    )
    answer = integrity_error_response(error)
    assert answer.status_code == 400
    assert list(answer.data) == ["name"]
    assert "Volta" not in str(answer.data)


def test_sqlite_names_the_columns_instead():
    error = IntegrityError(
        "UNIQUE constraint failed: suppliers_lot.supplier_id, suppliers_lot.reference"
    )
    assert integrity_error_response(error).data == {
        "reference": ["Lot with this reference already exists."]
    }
    expression_index = IntegrityError("UNIQUE constraint failed: index 'pack_serial_unique_live'")
    assert list(integrity_error_response(expression_index).data) == ["packs"]


def test_any_other_integrity_error_is_a_409_without_the_sql():
    error = integrity_error(
        'insert or update on table "suppliers_pack" violates foreign key constraint',
        constraint="suppliers_pack_lot_id_fk",
    )
    answer = integrity_error_response(error)
    assert answer.status_code == 409
    assert "suppliers_pack" not in str(answer.data)


def test_a_real_duplicate_from_the_database_is_named(volta):
    """The database's own error, on whichever backend runs the tests."""
    LotFactory(supplier=volta, reference="DUP-1")
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        LotFactory(supplier=volta, reference="DUP-1")
    answer = integrity_error_response(raised.value)
    assert answer.data == {"reference": ["Lot with this reference already exists."]}


def test_the_handler_marks_the_answer_so_its_transaction_is_rolled_back():
    answer = api_exception_handler(integrity_error(constraint="lot_reference_unique"), {})
    assert answer.status_code == 400
    assert answer.database_error is True


def bare_pack_model_create(barrier: threading.Barrier):
    """The service without its IntegrityError guard, every request past the check at once:
    the race's refusal reaches the API's exception handler."""

    def create(*, user, supplier=None, **fields):
        barrier.wait(20)
        return PackModel.objects.create(**fields)

    return create


@pytest.mark.django_db(transaction=True)
def test_racing_pack_model_creates_answer_400_on_the_model_field(
    require_postgres, alice, monkeypatch
):
    racers = 6
    monkeypatch.setattr(
        supplier_views, "pack_model_create", bare_pack_model_create(threading.Barrier(racers))
    )
    token = personal_token(alice)
    answers, lock = [], threading.Lock()
    body = {
        "manufacturer": "BYD",
        "model": "Blade 2",
        "chemistry": "LFP",
        "nominal_voltage_v": "51.2",
        "nominal_capacity_ah": "100",
        "nominal_energy_kwh": "5.12",
        "cells_series": 16,
    }

    def create(n: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            # Half of them with a key: the refusal is not stored, the winner is.
            headers = {"HTTP_IDEMPOTENCY_KEY": f"race-{n}"} if n % 2 else {}
            answer = client.post("/api/pack-models/", body, format="json", **headers)
            with lock:
                answers.append(answer)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [400] * (racers - 1), [a.content for a in answers]
    refusals = [a.json() for a in answers if a.status_code == 400]
    assert all(
        r == {"model": ["Pack model with this manufacturer and model already exists."]}
        for r in refusals
    ), refusals
    assert PackModel.objects.filter(manufacturer="BYD").count() == 1
    assert IdempotencyKey.objects.filter(status_code=400).count() == 0
    assert IdempotencyKey.objects.filter(status_code=201).count() <= 1
