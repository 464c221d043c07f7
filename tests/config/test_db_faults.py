"""A lost database answers 503 with Retry-After, never a 500, and never a write the client was
told failed (config.middleware, config.exceptions)."""

import json
import threading
import urllib.error
import urllib.request
import uuid
from http.client import HTTPException

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection, connections

from config.middleware import DatabaseUnavailableMiddleware
from suppliers.models import Lot
from tests.factories import LotFactory, personal_token

SECRET = "could not connect to server at db-7.internal (10.0.3.7), port 5432"


def lost_on(table: str):
    """An execute wrapper: every query on `table` meets a database gone away."""

    def wrapper(execute, sql, params, many, context):
        if table in sql:
            raise OperationalError(SECRET)
        return execute(sql, params, many, context)

    return wrapper


def test_an_api_view_that_loses_its_database_answers_503_with_retry_after(api, bianca):
    api.force_authenticate(bianca)
    with connection.execute_wrapper(lost_on('"suppliers_lot"')):
        answer = api.get("/api/lots/")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "3"
    body = answer.json()
    assert body["detail"] == "The database is unreachable for a moment; retry in 3 s."
    assert body["retry_after"] == 3
    assert "10.0.3.7" not in answer.content.decode()
    assert api.get("/api/lots/").status_code == 200


def test_an_api_write_that_loses_its_database_answers_503(api, alice, lfp_telecom_pack):
    api.force_authenticate(alice)
    with connection.execute_wrapper(lost_on('"audit_')):
        answer = api.post(
            "/api/lots/",
            {
                "reference": "LOST-1",
                "pack_model": lfp_telecom_pack.pk,
                "location": "Leeds",
                "quantity": 1,
                "claimed_soh_pct": "80",
                "price_per_kwh": "90",
                "packs": [{"serial": "LOST-S1"}],
            },
            format="json",
        )
    assert answer.status_code == 503
    assert "db-7" not in answer.content.decode()


def test_a_web_page_that_loses_its_database_answers_the_503_page(client, bianca, volta):
    LotFactory(supplier=volta, status="verified")
    client.force_login(bianca)
    with connection.execute_wrapper(lost_on('"suppliers_lot"')):
        answer = client.get("/lots/")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "3"
    page = answer.content.decode()
    assert "Back in a moment" in page
    assert "try again in 3 seconds" in page
    assert "app.css" in page  # the site's own layout
    assert "10.0.3.7" not in page
    assert client.get("/lots/").status_code == 200


def test_only_a_lost_database_is_a_503(rf):
    """A bug stays a 500 (Django's own handling); a lost connection or a closed one is a 503."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = rf.get("/lots/")
    assert middleware.process_exception(request, RuntimeError("a bug")) is None
    assert middleware.process_exception(request, IntegrityError("dup")) is None
    for lost in (OperationalError(SECRET), InterfaceError("connection already closed")):
        assert middleware.process_exception(request, lost).status_code == 503
    api_answer = middleware.process_exception(rf.post("/api/lots/"), OperationalError(SECRET))
    assert api_answer["Content-Type"] == "application/json"
    assert json.loads(api_answer.content)["retry_after"] == 3


# The honest test: a real PostgreSQL killing the server's connections while clients create lots.

STORM_SECONDS = 8
KILL_EVERY_S = 0.1
CLIENTS, KEYS_PER_CLIENT, MAX_TRIES = 4, 15, 80
FAULTY = "faulty-live-server"


@pytest.fixture
def faulty_server_connections():
    """New connections (the live server's request threads) carry an application_name the
    terminator kills; this test's own connection, made before, is spared."""
    connection.ensure_connection()  # under the old name, before the change
    settings_dict = connection.settings_dict
    assert connections.settings["default"] is settings_dict
    options = settings_dict.setdefault("OPTIONS", {})
    before = dict(options)
    options["application_name"] = FAULTY
    yield settings_dict
    options.clear()
    options.update(before)


def terminator(settings_dict: dict, stop: threading.Event, kills: list[int]) -> None:
    with psycopg.connect(
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
        application_name="terminator",
        autocommit=True,
    ) as own:
        while not stop.wait(KILL_EVERY_S):
            killed = own.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend' AND application_name = %s"
                # Each connection has even odds per tick: requests get through during the
                # storm too, and some die at their COMMIT.
                " AND random() < 0.5",
                [FAULTY],
            ).fetchone()[0]
            kills.append(killed)


def create_until_answered(url: str, token: str, body: dict, key: str) -> tuple[list, dict | None]:
    """A careful client: the same key on every retry, after a 503 or a lost answer."""
    seen: list = []
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    for _ in range(MAX_TRIES):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                seen.append(response.status)
                if response.headers.get("Idempotent-Replayed"):
                    seen.append("replayed")
                return seen, json.loads(response.read())
        except urllib.error.HTTPError as error:
            seen.append(error.code)
            if error.code != 503:
                return seen, json.loads(error.read() or b"null")
        except (urllib.error.URLError, HTTPException, ConnectionError):
            seen.append("lost")
        threading.Event().wait(0.05)  # shorter than Retry-After: the test has a time bound
    return seen, None


@pytest.mark.django_db(transaction=True)
def test_connections_killed_every_100_ms_leave_no_500_and_no_hidden_write(
    require_postgres, live_server, faulty_server_connections, alice, lfp_telecom_pack
):
    token = personal_token(alice)
    url = f"{live_server.url}/api/lots/"
    results: dict[str, tuple[list, dict | None]] = {}
    stop, kills = threading.Event(), []

    def client(n: int) -> None:
        for k in range(KEYS_PER_CLIENT):
            key = f"storm-{n}-{k}-{uuid.uuid4()}"
            body = {
                "reference": f"STORM-{n}-{k}",
                "pack_model": lfp_telecom_pack.pk,
                "location": "Leeds",
                "quantity": 1,
                "claimed_soh_pct": "80",
                "price_per_kwh": "90",
                "packs": [{"serial": f"STORM-S-{n}-{k}"}],
            }
            results[key] = create_until_answered(url, token, body, key)

    killer = threading.Thread(target=terminator, args=(faulty_server_connections, stop, kills))
    killer.start()
    clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()
    clients[0].join(STORM_SECONDS)
    stop.set()  # whatever is left is answered by a healthy database
    killer.join(30)
    for thread in clients:
        thread.join(120)
    assert not any(thread.is_alive() for thread in clients)

    statuses = [status for seen, _ in results.values() for status in seen]
    assert sum(kills) > 0 and 503 in statuses, (sum(kills), statuses)
    assert 500 not in statuses
    assert set(statuses) <= {201, 503, "lost", "replayed"}, statuses
    final = {key: [s for s in seen if s != "replayed"][-1] for key, (seen, _) in results.items()}
    assert len(final) == CLIENTS * KEYS_PER_CLIENT
    assert set(final.values()) == {201}, final
    answered_ids = {body["id"] for _, body in results.values()}
    stored_ids = set(
        Lot.objects.filter(reference__startswith="STORM-").values_list("pk", flat=True)
    )
    assert stored_ids == answered_ids
    assert len(stored_ids) == len(final)
