"""Shared fixtures: personas, and the gate for tests that need real services.

Tests that need PostgreSQL, Redis or Chromium skip on a machine without them and say why;
with REQUIRE_SERVICES=1 (set by .ci/run) the same condition fails the test instead.
"""

import os
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from audit.models import AuditEntry
from suppliers.choices import MembershipRole, OrganisationKind
from tests.cycler_files import Cycler, reference_values
from tests.e2e.browsing import CHROMIUM_ARGS
from tests.factories import MembershipFactory, OrganisationFactory, PackModelFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def need(available: bool, what: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} (REQUIRE_SERVICES=1 makes this a failure, not a skip)")
    pytest.skip(what)


def redis_url() -> str:
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    return url if url.startswith("redis") else "redis://127.0.0.1:6379/0"


def redis_available(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def require_postgres():
    need(
        connection.vendor == "postgresql",
        f"needs PostgreSQL: set DATABASE_URL=postgres://... (running on {connection.vendor})",
    )


@pytest.fixture
def require_redis() -> str:
    url = redis_url()
    need(redis_available(url), f"needs Redis at {url}")
    return url


@pytest.fixture
def redis_server_binary() -> str:
    """For fault tests that stop and start a Redis of their own (the machine's keeps running)."""
    need(shutil.which("redis-server") is not None, "needs redis-server (apt-get install redis)")
    return shutil.which("redis-server")


@pytest.fixture
def chromium_path() -> str:
    need(
        shutil.which(CHROMIUM) is not None,
        f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
    )
    return CHROMIUM


@pytest.fixture
def browser(chromium_path, live_server):
    """Headless Chromium. Depends on live_server so the browser closes (and drops keep-alive
    connections) first."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test
    # body are still synchronous, so Django's async guard is relaxed for this test only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Personas: permission tests read like a story.
@pytest.fixture
def volta(db):
    return OrganisationFactory(
        name="Volta Fleet Services", slug="volta", kind=OrganisationKind.SUPPLIER
    )


@pytest.fixture
def recell(db):
    return OrganisationFactory(
        name="ReCell Dismantling", slug="recell", kind=OrganisationKind.SUPPLIER
    )


@pytest.fixture
def alice(volta):
    """Alice runs Volta Fleet Services' listings: an administrator, she submits and withdraws."""
    return MembershipFactory(
        user=UserFactory(username="alice"), organisation=volta, role=MembershipRole.ADMIN
    ).user


@pytest.fixture
def mia(volta):
    """Mia prepares Volta's drafts and uploads their data; as a member she cannot submit or
    withdraw a lot."""
    return MembershipFactory(
        user=UserFactory(username="mia"), organisation=volta, role=MembershipRole.MEMBER
    ).user


@pytest.fixture
def rob(recell):
    """Rob lists lots for ReCell, a competing supplier (its administrator)."""
    return MembershipFactory(
        user=UserFactory(username="rob"), organisation=recell, role=MembershipRole.ADMIN
    ).user


@pytest.fixture
def bianca(db):
    """Bianca buys packs for telecom backup."""
    towergrid = OrganisationFactory(name="TowerGrid", slug="towergrid", kind=OrganisationKind.BUYER)
    return MembershipFactory(user=UserFactory(username="bianca"), organisation=towergrid).user


@pytest.fixture
def audrey(db):
    """Audrey is platform staff and checks SOH claims."""
    return UserFactory(username="audrey", is_staff=True, is_superuser=True)


@pytest.fixture
def lfp_telecom_pack(db):
    return PackModelFactory(manufacturer="CATL", model="TB48100")


@pytest.fixture
def nmc_module(db):
    return PackModelFactory(
        manufacturer="Samsung SDI",
        model="94 Ah module",
        chemistry="NMC",
        nominal_voltage_v="44.4",
        nominal_capacity_ah="94",
        nominal_energy_kwh="4.174",
        cells_series=12,
    )


@pytest.fixture(scope="session")
def cycler() -> type[Cycler]:
    """The real cycler files of tests/data/cycler/ and helpers to read them."""
    return Cycler


@pytest.fixture(scope="session")
def reference() -> dict:
    """Independent reference figures for those files, per file name."""
    return reference_values()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remove the uploads folder settings_test made for this run (shared with the worker)."""
    from django.conf import settings

    media = Path(settings.MEDIA_ROOT)
    if media.name.startswith("secondlife-media-") and media.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(media, ignore_errors=True)


ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
LIFECYCLE = ROOT / "marketplace" / "lifecycle.py"
LOT_TABLE = '"suppliers_lot"'
INSERT_COLUMNS = re.compile(r'INSERT INTO "suppliers_lot" \((?P<columns>[^)]*)\)')


def _writer_frame():
    """The innermost frame of the project's own code (not a library's, not this file's)."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(ROOT) and ".venv" not in path.parts and path != Path(__file__):
            return path, frame.f_code.co_name
        frame = frame.f_back
    return None, None


def _writes_status(sql: str, params, many: bool) -> bool:
    if sql.startswith(f"UPDATE {LOT_TABLE}"):
        return '"status" =' in sql.split(" WHERE ")[0]
    match = INSERT_COLUMNS.match(sql)
    if not match:
        return False
    columns = [c.strip() for c in match["columns"].split(",")]
    if '"status"' not in columns:
        return False
    index, rows = columns.index('"status"'), (params if many else [params])
    values = [value for row in rows for value in row[index :: len(columns)]]
    return any(value != "draft" for value in values)


@pytest.fixture(autouse=True)
def cache_emptied():
    """Each test starts with an empty cache: facet counts kept for a minute must not carry
    one test's lots into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def lot_status_changes_only_through_the_lifecycle():
    """Every test proves it: no code but marketplace.lifecycle.lot_transition writes a lot's
    status (a new lot starts as a draft). Tests and factories may set up any status directly."""

    def guard(execute, sql, params, many, context):
        if LOT_TABLE in sql[:40] and _writes_status(sql, params, many):
            path, function = _writer_frame()
            allowed = (
                path is None
                or path.is_relative_to(TESTS)
                or (path == LIFECYCLE and function == "lot_transition")
            )
            assert allowed, f"{path}:{function} wrote a lot's status outside lot_transition"
        return execute(sql, params, many, context)

    with connection.execute_wrapper(guard):
        yield


@contextmanager
def triggers_off():
    """The audit table's append-only triggers switched off, as its owner or a superuser can."""
    if connection.vendor != "postgresql":
        yield
        return
    table = AuditEntry._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture
def tamper():
    """with tamper(): AuditEntry.objects.filter(...).update(...) changes evidence anyway."""
    return triggers_off


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def audit_entries_cleared_after_transactional_tests(request):
    """A transactional test ends with a flush (TRUNCATE), which the append-only trigger refuses
    while the table holds entries: empty it first, as the table's owner could."""
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")  # set up before this, so flushed after it
    yield
    with triggers_off():
        AuditEntry.objects.all().delete()


@pytest.fixture
def api():
    """A REST client; authenticate it with api.force_authenticate(user)."""
    from rest_framework.test import APIClient

    return APIClient()
