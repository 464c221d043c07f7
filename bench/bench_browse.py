"""Browse speed at marketplace size: 100,000 lots and 1,000,000 packs with their verifications
in PostgreSQL, the browse page and the lot API measured in-process against baselines in the same
run, then a bounded load run of the API list through gunicorn. A script, not a test; it asserts
nothing and prints the goals beside the figures (see bench/README.md).

    python bench/bench_browse.py                       # full size; loads once (minutes), reuses
    python bench/bench_browse.py --lots 2000           # smoke size: well under a minute
    python bench/bench_browse.py --reload --skip-load-run

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/bench_browse; the database is
created when missing and dropped and created again by --reload (or when it holds another size).

Loading: the reference rows (organisations, a buyer, pack models, the rule set) and one lot of
100 packs go through the services the app uses (lot_create, lot_submit, and one synthetic
capacity-test upload per pack, verified by the real pipeline, eagerly); every other lot is
written by COPY: lots, packs, lot history, one test record, measurement and verification per
measured pack, the routing decisions of each pack and lot (decided by the routing engine) and
the lot summaries the browse list reads, their search vectors filled by one UPDATE. Then
VACUUM ANALYZE and the supplier scorecards (the hourly task) are computed once.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import types
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_browse"
BIG_LOT_REFERENCE = "BENCH-100"
BIG_LOT_PACKS = 100
BUYER = "bench-buyer"
SUPPLIER_USER = "bench-supplier"
CHUNK_LOTS = 5000

# Goals (the issue's): shown next to the figures, never asserted.
PAGE_P95_MS, PAGE_QUERIES = 50.0, 10
LOT_API_QUERIES, LOT_API_KB = 15, 200
LOAD_RPS, LOAD_P99_MS = 150.0, 500.0

SUPPLIERS = [
    ("Voltcycle GmbH", "DE", 16),
    ("Second Watt Ltd", "GB", 14),
    ("Reborn Cells BV", "NL", 13),
    ("Ampère Circulaire SAS", "FR", 12),
    ("Nordic Pack Reuse AB", "SE", 11),
    ("Iberia Baterías SL", "ES", 10),
    ("Fleetback Energy", "GB", 9),
    ("Batteria Seconda", "IT", 8),
]
# manufacturer, model, chemistry, V, Ah, kWh, series, parallel, baseline mOhm, weight
PACK_MODELS = [
    ("CATL", "TB48-100", "LFP", 51.2, 100, 5.12, 16, 1, 28, 9),
    ("CATL", "EnerOne 280", "LFP", 51.2, 280, 14.336, 16, 1, 12, 6),
    ("CATL", "NCM 355-150", "NMC", 355.2, 150, 53.28, 96, 1, 95, 4),
    ("BYD", "Blade 64-200", "LFP", 64.0, 200, 12.8, 20, 1, 18, 8),
    ("BYD", "B-Box LV 102", "LFP", 102.4, 105, 10.752, 32, 1, 40, 6),
    ("LG Energy Solution", "E63 NMC", "NMC", 358.0, 63, 22.554, 96, 1, 110, 6),
    ("LG Energy Solution", "RESU 16H", "NMC", 400.0, 40, 16.0, 108, 1, 150, 3),
    ("Samsung SDI", "SDI 94Ah Pack", "NMC", 350.0, 94, 32.9, 96, 1, 80, 5),
    ("Samsung SDI", "SDI 60Ah Module", "NMC", 58.8, 60, 3.528, 16, 1, 35, 3),
    ("Panasonic", "NCR 350-70", "NCA", 350.0, 70, 24.5, 96, 1, 120, 4),
    ("Panasonic", "NCR 48-50", "NCA", 48.0, 50, 2.4, 13, 1, 45, 2),
    ("SK On", "SKO 78Ah", "NMC", 400.0, 78, 31.2, 108, 1, 100, 3),
    ("CALB", "L173F230", "LFP", 51.2, 230, 11.776, 16, 1, 14, 4),
    ("EVE", "LF280K Pack", "LFP", 25.6, 280, 7.168, 8, 1, 8, 5),
    ("Gotion", "GX 48-150", "LFP", 48.0, 150, 7.2, 15, 1, 20, 4),
    ("Envision AESC", "Leaf 24 LMO", "LMO", 360.0, 66.2, 23.832, 96, 2, 130, 4),
    ("Envision AESC", "Leaf 40", "NMC", 350.0, 115, 40.25, 96, 2, 90, 3),
    ("Toshiba", "SCiB 27-40", "LTO", 27.6, 40, 1.104, 12, 1, 22, 2),
    ("Toshiba", "SCiB 55-23", "LTO", 55.2, 23, 1.27, 24, 1, 30, 1),
]
# Where lots are: the town as suppliers write it, and the site's coordinates.
LOCATIONS = {
    "Rotterdam, NL": (51.92, 4.48),
    "Eindhoven, NL": (51.44, 5.48),
    "Leeds, GB": (53.8, -1.55),
    "Birmingham, GB": (52.49, -1.89),
    "Glasgow, GB": (55.86, -4.25),
    "Lyon, FR": (45.76, 4.84),
    "Lille, FR": (50.63, 3.06),
    "Hamburg, DE": (53.55, 9.99),
    "Leipzig, DE": (51.34, 12.37),
    "Munich, DE": (48.14, 11.58),
    "Gothenburg, SE": (57.71, 11.97),
    "Malmo, SE": (55.6, 13.0),
    "Valencia, ES": (39.47, -0.38),
    "Zaragoza, ES": (41.65, -0.89),
    "Turin, IT": (45.07, 7.69),
    "Milan, IT": (45.46, 9.19),
    "Antwerp, BE": (51.22, 4.4),
    "Gdansk, PL": (54.35, 18.65),
    "Wroclaw, PL": (51.11, 17.03),
    "Brno, CZ": (49.2, 16.61),
    "Linz, AT": (48.31, 14.29),
    "Aarhus, DK": (56.16, 10.2),
    "Porto, PT": (41.15, -8.61),
    "Tampere, FI": (61.5, 23.79),
}
FORMER_USE = [
    "Ex-fleet packs from city buses",
    "Removed from delivery vans at end of lease",
    "Telecom backup packs, light cycling",
    "Taxi fleet packs, high mileage",
    "Returned under warranty, repaired and retested",
    "Home storage returns",
    "Forklift packs from a distribution centre",
    "Car-sharing fleet, mixed use",
]
CONDITION = [
    "Cosmetically clean, terminals capped",
    "Minor casing scuffs, no swelling",
    "BMS connectors intact",
    "Stored indoors at 15-25 C since removal",
]
SHIPPING = [
    "Ships on pallets as UN 3480 class 9",
    "Collection from our yard or ADR transport",
    "Crated, ADR special provision 376 where needed",
]
STATUSES = [
    ("verified", 46),
    ("listed", 36),
    ("reserved", 5),
    ("sold", 4),
    ("withdrawn", 3),
    ("draft", 3),
    ("submitted", 2),
    ("discrepancy", 1),
]
SAFETY_KINDS = ["accident", "thermal_event", "swelling", "deep_discharge", "flood", "leak"]
NOT_MEASURED_STATUSES = ("draft", "submitted")


# ---- set-up ---------------------------------------------------------------------------------


def environment(args) -> str:
    """The settings of a production-like process on loopback: PostgreSQL, DEBUG off, plain
    http (no redirect to https), Celery eager (the one big lot is verified in-process)."""
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL (a database the benchmark may fill)")
    defaults = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # A local benchmark database, not production: a throwaway key for these processes.
        "SECRET_KEY": "bench-browse-only-" + "k" * 40,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "MEDIA_ROOT": "/tmp/bench_browse_media",
        "STATIC_ROOT": "/tmp/bench_browse_static",
        "LOG_LEVEL": "WARNING",
        "AXES_FAILURE_LIMIT": "1000",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ.pop("CELERY_BROKER_URL", None)  # eager: the upload is verified in this process
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    # The cases below time computing each list: repeated requests must not be served by the
    # buyers' shared list cache (the load run measures it on and off).
    os.environ["LISTING_CACHE_SECONDS"] = "0"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return url


def database_prepare(url: str, *, drop: bool) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def static_collect() -> None:
    """Hashed, compressed static files, as production serves them: collected by a process of
    its own, before this one's settings look for the manifest."""
    if not (Path(os.environ["STATIC_ROOT"]) / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
        )


def loaded_size() -> tuple[int, int, bool]:
    from suppliers.models import Lot, Pack

    big = Lot.objects.filter(reference=BIG_LOT_REFERENCE).first()
    big_ok = big is not None and big.packs.count() == BIG_LOT_PACKS and big.status == "verified"
    return Lot.objects.count(), Pack.objects.count(), big_ok


# ---- loading --------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.last = self.start

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        print(f"  {what:<58} {now - self.last:7.1f} s")
        self.last = now


def reference_rows():
    """Organisations, users, pack models and the active rule set, through the ORM."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from routing.selectors import rule_set_active
    from suppliers.models import Membership, Organisation, PackModel

    User = get_user_model()
    suppliers = []
    for index, (name, country, _) in enumerate(SUPPLIERS):
        org, _ = Organisation.objects.get_or_create(
            slug=f"bench-supplier-{index}",
            defaults={"name": name, "kind": "supplier", "country": country},
        )
        suppliers.append(org)
    buyer_org, _ = Organisation.objects.get_or_create(
        slug="bench-buyer", defaults={"name": "Gridstore Integrators", "kind": "buyer"}
    )
    buyer, _ = User.objects.get_or_create(username=BUYER, defaults={"email": "buyer@bench"})
    Membership.objects.get_or_create(user=buyer, organisation=buyer_org)
    supplier_user, _ = User.objects.get_or_create(
        username=SUPPLIER_USER, defaults={"email": "supplier@bench"}
    )
    Membership.objects.get_or_create(
        user=supplier_user, organisation=suppliers[0], defaults={"role": "admin"}
    )
    models = []
    for maker, name, chem, volts, ah, kwh, series, parallel, ohm, _ in PACK_MODELS:
        model, _ = PackModel.objects.get_or_create(
            manufacturer=maker,
            model=name,
            defaults={
                "chemistry": chem,
                "nominal_voltage_v": Decimal(str(volts)),
                "nominal_capacity_ah": Decimal(str(ah)),
                "nominal_energy_kwh": Decimal(str(kwh)),
                "cells_series": series,
                "cells_parallel": parallel,
                "baseline_resistance_mohm": Decimal(str(ohm)),
                "calendar_life_years": 15,
                "approved_at": timezone.now(),
                "approval_note": "Checked against the datasheet",
            },
        )
        models.append(model)
    return suppliers, buyer, supplier_user, models, rule_set_active()


def big_lot_load(supplier, user, pack_model) -> int:
    """A lot of 100 packs through the app's own services: created, submitted, and one capacity
    test uploaded per pack and verified by the real pipeline (figures engine, verdict, routing,
    summary, audit), as a supplier's upload would be."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from marketplace.services import lot_create, lot_submit, test_data_upload
    from verification.domain import synthetic_cycling_csv

    rng = random.Random(100)
    # Distinct figures: one measurement offered for two packs would be duplicate evidence.
    sohs = rng.sample([round(80.5 + 0.11 * n, 2) for n in range(BIG_LOT_PACKS)], BIG_LOT_PACKS)
    lot = lot_create(
        user=user,
        supplier=supplier,
        pack_model=pack_model,
        reference=BIG_LOT_REFERENCE,
        location="Rotterdam, NL",
        quantity=BIG_LOT_PACKS,
        claimed_soh_pct=Decimal("86"),
        price_per_kwh=Decimal("92.50"),
        description="Ex-fleet packs from city buses. Each pack capacity-tested at 0.5 C.",
        packs=[
            {
                "serial": f"{BIG_LOT_REFERENCE}-{n:03d}",
                "claimed_soh_pct": Decimal(str(soh)),
                "cycle_count": 900 + 7 * n,
            }
            for n, soh in enumerate(sohs, 1)
        ],
        history=[
            {"kind": "manufactured", "occurred_on": date(2019, 3, 1), "actor": "CATL"},
            {
                "kind": "custody_transfer",
                "occurred_on": date(2019, 6, 1),
                "custody_from": "CATL",
                "custody_to": "RET bus fleet",
            },
            {"kind": "in_service", "occurred_on": date(2019, 6, 1), "actor": "RET bus fleet"},
            {"kind": "removed", "occurred_on": date(2025, 4, 1), "actor": "RET bus fleet"},
            {
                "kind": "custody_transfer",
                "occurred_on": date(2025, 4, 10),
                "custody_from": "RET bus fleet",
                "custody_to": supplier.name,
            },
        ],
    )
    lot = lot_submit(user=user, lot=lot)
    for n, pack in enumerate(lot.packs.order_by("serial"), 1):
        text = synthetic_cycling_csv(
            chemistry=pack_model.chemistry,
            nominal_capacity_ah=float(pack_model.nominal_capacity_ah),
            cells_series=pack_model.cells_series,
            soh_pct=sohs[n - 1],
            cycles=2,
            sample_interval_s=10.0,
            step_detail_s=12.0,
            resistance_mohm=30.0,
            seed=n,
        )
        upload = SimpleUploadedFile(f"{pack.serial}.csv", text.encode(), content_type="text/csv")
        test_data_upload(user=user, pack=pack, uploaded_file=upload)
    lot.refresh_from_db()
    if lot.status != "verified":
        sys.exit(f"the {BIG_LOT_PACKS}-pack lot ended {lot.status}, not verified")
    return lot.pk


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _history(rng: random.Random, maker: str, supplier: str, made: date, today: date) -> list:
    """A lot's history: manufacture, service, removal; most with the custody transfers that
    make the chain complete, a few with a safety event, a few with nothing on record."""
    roll = rng.random()
    if roll < 0.01:
        return []
    fleet = rng.choice(
        [
            "RET bus fleet",
            "Arriva",
            "DHL Express",
            "Uber Green",
            "Zity",
            "Telia towers",
            "Ikea logistics",
            "Private owners",
        ]
    )
    in_service = made + timedelta(days=rng.randint(30, 200))
    removed = min(in_service + timedelta(days=rng.randint(900, 2200)), today - timedelta(days=40))
    custody = roll > 0.22
    events = [{"kind": "manufactured", "occurred_on": made, "actor": maker}]
    if custody:
        events.append(
            {
                "kind": "custody_transfer",
                "occurred_on": in_service,
                "custody_from": maker,
                "custody_to": fleet,
            }
        )
    events.append({"kind": "in_service", "occurred_on": in_service, "actor": fleet})
    if roll > 0.97:
        events.append(
            {
                "kind": rng.choice(SAFETY_KINDS),
                "actor": fleet,
                "occurred_on": removed - timedelta(days=20),
                "notes": "Reported by the fleet operator",
            }
        )
    events.append({"kind": "removed", "occurred_on": removed, "actor": fleet})
    if custody:
        events.append(
            {
                "kind": "custody_transfer",
                "occurred_on": removed + timedelta(days=10),
                "custody_from": fleet,
                "custody_to": supplier,
            }
        )
    return events


def _figures(soh: float, capacity_ah: float, energy_wh: float, ohm: float, cycle_s: int) -> dict:
    """A compact measurement record in the shape the figures engine stores (no curves)."""
    cycles = [
        {
            "cycle": 1,
            "discharge_capacity_ah": round(capacity_ah * 1.002, 3),
            "discharge_energy_wh": round(energy_wh * 1.002, 1),
            "c_rate": 0.5,
            "max_temperature_c": 31.5,
            "duration_s": cycle_s,
            "complete": True,
        },
        {
            "cycle": 2,
            "discharge_capacity_ah": round(capacity_ah, 3),
            "discharge_energy_wh": round(energy_wh, 1),
            "c_rate": 0.5,
            "max_temperature_c": 32.0,
            "duration_s": cycle_s,
            "complete": True,
        },
    ]
    return {
        "format": "canonical_csv",
        "cycles": cycles,
        "cycle_used": 2,
        "soh_pct": soh,
        "soh_definition": "capacity",
        "soh_by_definition": {"capacity": soh, "energy": round(soh * 0.99, 2)},
        "soh_basis": {
            "test": "full CC discharge",
            "cycle": 2,
            "c_rate": 0.5,
            "temperature_c": 32.0,
            "cutoff": "lower voltage limit",
        },
        "dcir_summary": {"median_mohm": round(ohm, 2), "pulse_s": 10.0},
        "capacity_test": {"complete": True, "reason": ""},
        "warnings": [],
    }


def _copy(cursor, model, columns: list[str], rows) -> int:
    count = 0
    table = model._meta.db_table
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _next_id(cursor, model) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {model._meta.db_table}")
    return cursor.fetchone()[0]


def bulk_load(*, lots: int, packs_per_lot: int, suppliers, models, rule_set, seed: int) -> None:
    """Every lot but the big one, by COPY, in chunks of lots."""
    from django.db import connection, transaction
    from django.utils import timezone

    from marketplace.models import LotSummary
    from routing.domain import PackFacts, decide
    from routing.domain.sampling import sample_size_required
    from routing.domain.stored import decision_stored
    from routing.models import RoutingDecision
    from suppliers.choices import ROUTING_EVENT_NAMES
    from suppliers.domain.custody import history_flags
    from suppliers.domain.history import HistoryFact
    from suppliers.models import HistoryEvent, Lot, Pack
    from verification.models import Measurement, TestRecord, Verification, brief_entries

    rng = random.Random(seed)
    thresholds = rule_set.as_thresholds()
    plan = rule_set.sample_plan
    label = str(rule_set)
    now = timezone.now()
    today = timezone.localdate()
    supplier_weights = [
        (org, weight) for org, (*_, weight) in zip(suppliers, SUPPLIERS, strict=True)
    ]
    model_weights = [(m, spec[-1]) for m, spec in zip(models, PACK_MODELS, strict=True)]
    enc = json.JSONEncoder(separators=(",", ":")).encode
    lot_cols = [
        "id",
        "reference",
        "location",
        "country",
        "latitude",
        "longitude",
        "description",
        "quantity",
        "claimed_soh_pct",
        "price_per_kwh",
        "status",
        "created_at",
        "updated_at",
        "review_required",
        "supplier_id",
        "pack_model_id",
        "route_override",
        "route_override_reason",
    ]
    pack_cols = ["id", "serial", "claimed_soh_pct", "cycle_count", "lot_id", "live"]
    event_cols = [
        "id",
        "kind",
        "occurred_on",
        "actor",
        "vin",
        "custody_from",
        "custody_to",
        "notes",
        "recorded_at",
        "lot_id",
    ]
    record_cols = [
        "id",
        "file",
        "original_name",
        "format",
        "sha256",
        "size_bytes",
        "uploaded_at",
        "status",
        "error",
        "progress_pct",
        "pack_id",
        "test_level",
        "queued_at",
        "run_generation",
    ]
    measurement_cols = [
        "id",
        "format",
        "figures",
        "discharge_capacity_ah",
        "discharge_energy_wh",
        "nominal_capacity_ah",
        "soh_pct",
        "soh_definition",
        "cycle_used",
        "cycles",
        "sample_count",
        "c_rate",
        "max_temperature_c",
        "resistance_mohm",
        "resistance_pulse_s",
        "resistance_ratio",
        "cell_spread_mv",
        "units",
        "warnings",
        "brief",
        "created_at",
        "test_record_id",
        "fingerprint",
    ]
    verification_cols = [
        "id",
        "rule_set_ref",
        "rule_set_label",
        "sha256",
        "status",
        "claimed_soh_pct",
        "measured_soh_pct",
        "difference_pct_points",
        "tolerance_pct_points",
        "verdict",
        "verdict_reason",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "measurement_id",
        "pack_id",
        "test_record_id",
        "claim_token",
        "takeovers",
        "claim_attempt",
        "generation",
    ]
    decision_cols = [
        "id",
        "route",
        "provisional",
        "warranty",
        "outcomes",
        "figures",
        "soh_pct_used",
        "created_at",
        "lot_id",
        "pack_id",
        "rule_set_id",
    ]
    summary_cols = [
        "lot_id",
        "route",
        "route_provisional",
        "rule_set_id",
        "measured_soh_pct",
        "lowest_pack_soh_pct",
        "lowest_pack_serial",
        "highest_pack_soh_pct",
        "packs_measured",
        "sample_size_required",
        "usable_energy_kwh",
        "packs_energy_measured",
        "usable_energy_total_kwh",
        "price_per_usable_kwh",
        "safety_events",
        "custody_complete",
        "search_text",
        "updated_at",
    ]
    units = enc({"time": "s", "current": "A", "voltage": "V", "temperature": "C"})
    totals = dict.fromkeys(("lots", "packs", "events", "records", "decisions"), 0)
    with connection.cursor() as cursor:
        ids = {
            m: _next_id(cursor, m)
            for m in (
                Lot,
                Pack,
                HistoryEvent,
                TestRecord,
                Measurement,
                Verification,
                RoutingDecision,
            )
        }
    for start in range(0, lots, CHUNK_LOTS):
        rows = {
            name: []
            for name in (
                "lot",
                "pack",
                "event",
                "record",
                "measurement",
                "verification",
                "decision",
                "summary",
            )
        }
        for n in range(start, min(start + CHUNK_LOTS, lots)):
            org = _weighted(rng, supplier_weights)
            model = _weighted(rng, model_weights)
            maker, mname, chem, _v, ah, kwh, _s, _p, ohm, _w = PACK_MODELS[models.index(model)]
            status = _weighted(rng, STATUSES)
            lot_id = ids[Lot]
            ids[Lot] += 1
            reference = f"SL-{n + 1:06d}"
            location = rng.choice(list(LOCATIONS))
            latitude, longitude = LOCATIONS[location]
            description = (
                f"{rng.choice(FORMER_USE)}. {rng.choice(CONDITION)}. {rng.choice(SHIPPING)}."
            )
            created = now - timedelta(days=rng.uniform(1, 730))
            made = date(rng.randint(2015, 2021), rng.randint(1, 12), rng.randint(1, 28))
            roll = rng.random()
            if roll < 0.7:
                base = rng.gauss(85, 5)
            elif roll < 0.92:
                base = rng.gauss(68, 7)
            else:
                base = rng.uniform(12, 60)
            base = min(max(base, 8.0), 98.0)
            claimed = Decimal(str(round(base)))
            price = Decimal(str(round(rng.uniform(35, 140) * (0.6 if base < 60 else 1.0), 2)))
            rows["lot"].append(
                (
                    lot_id,
                    reference,
                    location,
                    location[-2:],
                    latitude,
                    longitude,
                    description,
                    packs_per_lot,
                    claimed,
                    price,
                    status,
                    created,
                    created + timedelta(days=1),
                    False,
                    org.pk,
                    model.pk,
                    "",
                    "",
                )
            )
            events = _history(rng, maker, org.name, made, today)
            for event in events:
                rows["event"].append(
                    (
                        ids[HistoryEvent],
                        event["kind"],
                        event["occurred_on"],
                        event.get("actor", ""),
                        "",
                        event.get("custody_from", ""),
                        event.get("custody_to", ""),
                        event.get("notes", ""),
                        created,
                        lot_id,
                    )
                )
                ids[HistoryEvent] += 1
            flags = history_flags(
                [
                    HistoryFact(
                        kind=e["kind"],
                        occurred_on=e["occurred_on"],
                        actor=e.get("actor", ""),
                        custody_from=e.get("custody_from", ""),
                        custody_to=e.get("custody_to", ""),
                    )
                    for e in events
                ],
                today=today,
            )
            routing_events = frozenset(
                ROUTING_EVENT_NAMES[e["kind"]] for e in events if e["kind"] in ROUTING_EVENT_NAMES
            )
            expired = made.year + 15 < today.year
            measured_status = status not in NOT_MEASURED_STATUSES
            measured: dict[str, float] = {}
            energies: list[float] = []
            all_confirm = True
            for k in range(packs_per_lot):
                pack_id = ids[Pack]
                ids[Pack] += 1
                serial = f"{reference}-{k + 1:02d}"
                rows["pack"].append(
                    (pack_id, serial, None, rng.randint(300, 3500), lot_id, status != "withdrawn")
                )
                if not measured_status:
                    continue
                soh = min(max(base + rng.uniform(-2.8, 2.8), 5.0), 100.0)
                if status == "discrepancy" and k == 0:
                    soh = max(base - 9.0, 3.0)
                soh = round(soh, 2)
                diff = round(soh - float(claimed), 2)
                confirmed = abs(diff) <= 3.0
                all_confirm &= confirmed
                capacity = ah * soh / 100
                energy = kwh * 1000 * soh / 100 * rng.uniform(0.975, 1.0)
                resistance = ohm * rng.uniform(1.05, 1.6)
                record_id, measurement_id = ids[TestRecord], ids[Measurement]
                ids[TestRecord] += 1
                ids[Measurement] += 1
                sha = f"{pack_id:016x}{rng.getrandbits(192):048x}"
                uploaded = created + timedelta(hours=rng.uniform(2, 300))
                cycle_s = int(7200 * soh / 100)
                rows["record"].append(
                    (
                        record_id,
                        f"test-data/bench/{serial}.csv",
                        f"{serial}.csv",
                        "auto",
                        sha,
                        rng.randint(20_000, 900_000),
                        uploaded,
                        "done",
                        "",
                        100,
                        pack_id,
                        "pack",
                        uploaded,
                        0,
                    )
                )
                figures = _figures(soh, capacity, energy, resistance, cycle_s)
                rows["measurement"].append(
                    (
                        measurement_id,
                        "canonical_csv",
                        enc(figures),
                        round(capacity, 3),
                        round(energy, 1),
                        float(ah),
                        soh,
                        "capacity",
                        2,
                        enc(figures["cycles"]),
                        rng.randint(2_000, 60_000),
                        0.5,
                        32.0,
                        round(resistance, 2),
                        10.0,
                        round(resistance / ohm, 3),
                        None,
                        units,
                        "[]",
                        enc(brief_entries(figures, figures["cycles"])),
                        uploaded,
                        record_id,
                        f"{rng.getrandbits(256):064x}",
                    )
                )
                verdict = "confirmed" if confirmed else "discrepancy"
                reason = (
                    f"Measured {soh:.1f} % against the claimed {claimed} %: "
                    f"{abs(diff):.1f} points, within the tolerance of 3 points"
                    if confirmed
                    else f"Measured {soh:.1f} % against the claimed {claimed} %: "
                    f"{abs(diff):.1f} points, beyond the tolerance of 3 points"
                )
                finished = uploaded + timedelta(seconds=rng.uniform(5, 90))
                rows["verification"].append(
                    (
                        ids[Verification],
                        rule_set.pk,
                        label,
                        sha,
                        "done",
                        float(claimed),
                        soh,
                        diff,
                        3.0,
                        verdict,
                        reason,
                        "",
                        uploaded,
                        uploaded,
                        finished,
                        measurement_id,
                        pack_id,
                        record_id,
                        "",
                        0,
                        0,
                        0,
                    )
                )
                ids[Verification] += 1
                decision = decide(
                    PackFacts(
                        chemistry=chem,
                        soh_pct=soh,
                        resistance_ratio=resistance / ohm,
                        events=routing_events,
                        has_history=bool(events),
                        calendar_expired=expired,
                        verified=confirmed,
                        soh_source=f"measured on pack {serial}",
                    ),
                    thresholds,
                )
                outcomes, stored = decision_stored(decision)
                rows["decision"].append(
                    (
                        ids[RoutingDecision],
                        decision.route,
                        decision.provisional,
                        decision.warranty,
                        outcomes,
                        enc(stored),
                        soh,
                        finished,
                        lot_id,
                        pack_id,
                        rule_set.pk,
                    )
                )
                ids[RoutingDecision] += 1
                if confirmed or verdict == "discrepancy":  # both stand as the pack's figure
                    measured[serial] = soh
                    energies.append(energy)
            sample = sample_size_required(packs_per_lot, plan)
            lowest_serial = min(measured, key=measured.__getitem__) if measured else ""
            lot_soh = measured[lowest_serial] if measured else float(claimed)
            verified = bool(measured) and len(measured) >= sample and all_confirm
            lot_decision = decide(
                PackFacts(
                    chemistry=chem,
                    soh_pct=lot_soh,
                    events=routing_events,
                    has_history=bool(events),
                    calendar_expired=expired,
                    verified=verified,
                    soh_source=f"measured on pack {lowest_serial}" if measured else "",
                ),
                thresholds,
            )
            outcomes, stored = decision_stored(lot_decision)
            rows["decision"].append(
                (
                    ids[RoutingDecision],
                    lot_decision.route,
                    lot_decision.provisional,
                    lot_decision.warranty,
                    outcomes,
                    enc(stored),
                    lot_soh,
                    created + timedelta(days=1),
                    lot_id,
                    None,
                    rule_set.pk,
                )
            )
            ids[RoutingDecision] += 1
            energy_fields = (None, 0, None, None)
            if energies:
                per_pack = Decimal(str(statistics.fmean(energies) / 1000)).quantize(
                    Decimal("0.001")
                )
                energy_fields = (
                    per_pack,
                    len(energies),
                    (per_pack * packs_per_lot).quantize(Decimal("0.001")),
                    (price * Decimal(str(kwh)) / per_pack).quantize(Decimal("0.01")),
                )
            values = list(measured.values())
            search_text = " ".join((maker, mname, chem, reference, location, description))
            rows["summary"].append(
                (
                    lot_id,
                    lot_decision.route,
                    lot_decision.provisional,
                    rule_set.pk,
                    round(statistics.fmean(values), 2) if values else None,
                    round(min(values), 2) if values else None,
                    lowest_serial,
                    round(max(values), 2) if values else None,
                    len(values),
                    sample,
                    *energy_fields,
                    flags.safety_events,
                    flags.custody_complete,
                    search_text,
                    created + timedelta(days=1),
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            # The rows are consistent by construction: the foreign keys' triggers are skipped
            # while they go in (unique and check constraints still hold every row).
            cursor.execute("SET LOCAL session_replication_role = replica")
            totals["lots"] += _copy(cursor, Lot, lot_cols, rows["lot"])
            totals["packs"] += _copy(cursor, Pack, pack_cols, rows["pack"])
            totals["events"] += _copy(cursor, HistoryEvent, event_cols, rows["event"])
            totals["records"] += _copy(cursor, TestRecord, record_cols, rows["record"])
            _copy(cursor, Measurement, measurement_cols, rows["measurement"])
            _copy(cursor, Verification, verification_cols, rows["verification"])
            totals["decisions"] += _copy(cursor, RoutingDecision, decision_cols, rows["decision"])
            _copy(cursor, LotSummary, summary_cols, rows["summary"])
        done = min(start + CHUNK_LOTS, lots)
        if done % 20_000 == 0 or done == lots:
            print(f"    {done:,} lots written")
    with connection.cursor() as cursor:
        for model in (
            Lot,
            Pack,
            HistoryEvent,
            TestRecord,
            Measurement,
            Verification,
            RoutingDecision,
        ):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    print(
        f"    {totals['lots']:,} lots, {totals['packs']:,} packs, {totals['events']:,} history "
        f"events, {totals['records']:,} test records / measurements / verifications, "
        f"{totals['decisions']:,} routing decisions"
    )


def load(args) -> None:
    from django.db import connection

    from marketplace.scorecards import scorecards_refresh_all

    shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)
    clock = Clock()
    print(
        f"loading {args.lots:,} lots ({args.lots - 1:,} x {args.packs_per_lot} packs by COPY, "
        f"one of {BIG_LOT_PACKS} through the pipeline)"
    )
    suppliers, _buyer, supplier_user, models, rule_set = reference_rows()
    clock.lap("organisations, users, pack models, rule set (ORM)")
    big_lot_load(suppliers[0], supplier_user, models[0])
    clock.lap(f"lot of {BIG_LOT_PACKS} packs: create, submit, {BIG_LOT_PACKS} uploads verified")
    bulk_load(
        lots=args.lots - 1,
        packs_per_lot=args.packs_per_lot,
        suppliers=suppliers,
        models=models,
        rule_set=rule_set,
        seed=args.seed,
    )
    clock.lap("bulk rows (COPY)")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE marketplace_lotsummary SET search_vector = to_tsvector('simple', search_text)"
            " WHERE search_vector IS NULL"
        )
    clock.lap("search vectors (one UPDATE)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    clock.lap("VACUUM ANALYZE")
    scorecards_refresh_all()
    clock.lap("supplier scorecards (the hourly task)")
    print(f"  {'loaded in':<58} {time.perf_counter() - clock.start:7.1f} s")


# ---- in-process measurements -------------------------------------------------------------------


def bench_urlconf() -> str:
    """The app's URLs plus a trivial DRF endpoint (authentication, permission and a JSON
    response, no query of its own): the framework's floor."""
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Trivial(APIView):
        def get(self, request):
            return Response({"ok": True})

    module = types.ModuleType("bench_browse_urls")
    module.urlpatterns = [
        path("bench/trivial/", Trivial.as_view()),
        path("", include("config.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Case:
    def __init__(self, group: str, label: str, url: str, goal: str = "", cold: bool = False):
        self.group, self.label, self.url, self.goal = group, label, url, goal
        self.cold = cold  # the cache emptied before each request: facet counts computed
        self.queries = 0
        self.sql_ms = 0.0
        self.size = 0
        self.status = 0
        self.times: list[float] = []
        self.slowest_sql = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def p95(self) -> float:
        return _pct(self.times, 0.95) * 1000


def measure(client, case: Case, runs: int, warmup: int = 3) -> Case:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        client.get(case.url)
    # One request with its queries captured (their count does not vary between requests) ...
    timed: list[tuple[float, str]] = []

    def timing(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter() - start, sql))

    from django.core.cache import cache

    def fresh() -> None:
        if case.cold:
            cache.clear()

    fresh()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timing):
        response = client.get(case.url)
    case.status = response.status_code
    case.size = len(response.content)
    case.queries = len(captured)
    case.sql_ms = sum(t for t, _ in timed) * 1000
    # The slowest statement as sent (parameters bound), for EXPLAIN.
    slowest = max(range(len(timed)), key=lambda i: timed[i][0], default=None)
    case.slowest_sql = captured.captured_queries[slowest]["sql"] if slowest is not None else ""
    # ... then the timed ones without the capture's own bookkeeping.
    for _ in range(runs):
        fresh()
        start = time.perf_counter()
        client.get(case.url)
        case.times.append(time.perf_counter() - start)
    return case


def list_cases(prefix: str, group: str, page_size: int, results: int, q_word: str) -> list[Case]:
    deep = min(100, max(1, -(-results // page_size)))
    deep_label = "page 100" if deep == 100 else f"page {deep} (the last)"
    combos = [
        ("no filter, page 1", ""),
        ("no filter, page 2", "walk=2"),
        (f"no filter, {deep_label}", f"walk={deep}"),
        ("chemistry=LFP", "chemistry=LFP"),
        ("route=reuse-ESS & soh_min=80", "route=reuse-ESS&soh_min=80"),
        (f"q={q_word}", f"q={q_word}"),
        ("energy_min=10 & price_max=110", "energy_min=10&price_max=110"),
        ("near Rotterdam, within_km=300", "near=51.92,4.48&within_km=300"),
        ("ordering=price", "ordering=price"),
        ("ordering=-soh", "ordering=-soh"),
        (
            "ordering=price, page 100" if deep == 100 else f"ordering=price, {deep_label}",
            f"ordering=price&walk={deep}",
        ),
    ]
    return [
        Case(group, label, f"{prefix}?{query}" if query else prefix, "page")
        for label, query in combos
    ]


NEXT_LINK = re.compile(r'href="\?([^"]*)" rel="next"')


def page_walk(client, url: str) -> str:
    """A `walk=N` case's URL: the lists page by cursor, so the Nth page is reached as a buyer
    or a client reaches it, by following `next` N - 1 times from the first."""
    if "walk=" not in url:
        return url
    base, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&"))
    pages = int(params.pop("walk"))
    url = f"{base}?{'&'.join(f'{k}={v}' for k, v in params.items())}".rstrip("?")
    for _ in range(pages - 1):
        body = client.get(url).content
        if base.startswith("/api/"):
            following = json.loads(body).get("next")
            if following is None:
                break
            url = following.removeprefix("http://127.0.0.1")
        else:
            found = NEXT_LINK.search(body.decode())
            if found is None:
                break
            url = f"{base}?{html.unescape(found.group(1))}"
    return url


def run_in_process(args, big_lot_id: int, small_lot_id: int) -> tuple[list[Case], dict]:
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from marketplace.filters import LotFilter
    from marketplace.selectors import lot_list_browsable
    from marketplace.views.lots import BROWSE_PAGE_SIZE

    buyer = get_user_model().objects.get(username=BUYER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(buyer)
    request = types.SimpleNamespace(user=buyer)
    results = LotFilter({}, queryset=lot_list_browsable(), request=request).qs.count()
    from django.conf import settings

    api_page = settings.REST_FRAMEWORK["PAGE_SIZE"]
    cases = [
        Case("baseline", "/healthz", "/healthz"),
        Case("baseline", "trivial DRF endpoint (session auth)", "/bench/trivial/"),
        *list_cases("/lots/", "browse page", BROWSE_PAGE_SIZE, results, "Samsung"),
        # The first request of a filter combination counts its facets (the minute's cache
        # serves the rest): four aggregates over every lot the other filters leave.
        Case("browse page", "no filter, facets computed", "/lots/", cold=True),
        Case("browse page", "chemistry=LFP, facets computed", "/lots/?chemistry=LFP", cold=True),
        *list_cases("/api/lots/", "API list", api_page, results, "Samsung"),
        Case("lot", f"lot page, {BIG_LOT_PACKS} packs", f"/lots/{big_lot_id}/", "page"),
        Case("lot", f"lot API, {BIG_LOT_PACKS} packs", f"/api/lots/{big_lot_id}/", "lot api"),
        Case(
            "lot", f"lot page, {args.packs_per_lot} packs (COPY-loaded)", f"/lots/{small_lot_id}/"
        ),
        Case(
            "lot",
            f"lot API, {args.packs_per_lot} packs (COPY-loaded)",
            f"/api/lots/{small_lot_id}/",
        ),
    ]
    # One row through a plain filter (a search adds its own index checks): the cheapest lot.
    cheapest = (
        lot_list_browsable()
        .filter(summary__price_per_usable_kwh__isnull=False)
        .order_by("summary__price_per_usable_kwh", "pk")
        .values_list("summary__price_per_usable_kwh", flat=True)
        .first()
    )
    one_row = f"price_max={cheapest}"
    checks = {
        "browse 1 row": Case("check", "", f"/lots/?{one_row}"),
        "api 1 row": Case("check", "", f"/api/lots/?{one_row}"),
        "api page_size=10": Case("check", "", "/api/lots/?page_size=10"),
    }
    with override_settings(ROOT_URLCONF=bench_urlconf()):
        for case in cases:
            case.url = page_walk(client, case.url)
            measure(client, case, args.runs)
        for case in checks.values():
            measure(client, case, 1, warmup=1)
        api = json.loads(client.get("/api/lots/").content)
        sized = json.loads(client.get(checks["api page_size=10"].url).content)
    info = {
        "results": results,
        "checks": checks,
        "api_next": api.get("next"),
        "api_page_rows": len(api.get("results", [])),
        "page_size_accepted": len(sized.get("results", [])) == 10,
    }
    return cases, info


def print_cases(cases: list[Case], info: dict) -> None:
    healthz = next(c for c in cases if c.url == "/healthz").median
    trivial = next(c for c in cases if c.url == "/bench/trivial/").median
    print()
    print(
        "server time in-process (django.test.Client, buyer signed in by session; "
        f"{len(cases[0].times)} timed requests per case after 3 warm-ups; queries and SQL ms "
        "from one more captured request)"
    )
    header = (
        f"{'case':<46} {'st':>3} {'qry':>4} {'SQL ms':>7} {'median':>7} {'p95':>7} "
        f"{'KB':>7} {'x hz':>6} {'x drf':>6}  goal"
    )
    group = None
    for case in cases:
        if case.group != group:
            group = case.group
            print(f"\n-- {group} " + "-" * (len(header) - len(group) - 4))
            print(header)
        verdict = ""
        if case.goal == "page":
            ok = case.p95 < PAGE_P95_MS and case.queries < PAGE_QUERIES and case.status == 200
            verdict = f"p95 < {PAGE_P95_MS:.0f} ms, < {PAGE_QUERIES} queries: " + (
                "met" if ok else "MISSED"
            )
        elif case.goal == "lot api":
            ok = (
                case.queries < LOT_API_QUERIES
                and case.size / 1024 < LOT_API_KB
                and case.status == 200
            )
            verdict = f"< {LOT_API_QUERIES} queries, < {LOT_API_KB} KB: " + (
                "met" if ok else "MISSED"
            )
        print(
            f"{case.label:<46} {case.status:>3} {case.queries:>4} {case.sql_ms:>7.1f} "
            f"{case.median:>7.1f} {case.p95:>7.1f} {case.size / 1024:>7.1f} "
            f"{case.median / healthz:>6.1f} {case.median / trivial:>6.1f}  {verdict}"
        )
    checks = info["checks"]
    print(f"\nlots a buyer browses (no filter): {info['results']:,}")
    for group, one in (("browse page", "browse 1 row"), ("API list", "api 1 row")):
        rows = [c for c in cases if c.group == group]
        counts = {
            c.label: c.queries for c in rows if c.label.startswith("no filter") and not c.cold
        }
        one_row = checks[one].queries
        # A result counted exactly skips the planner's estimate: one query fewer, never more.
        constant = len(set(counts.values())) == 1 and one_row <= min(counts.values())
        listed = ", ".join(
            f"{label.removeprefix('no filter, ')}: {n}" for label, n in counts.items()
        )
        print(
            f"queries per request, {group}: {listed}; one-row result: {one_row} -> "
            f"{'constant in page size' if constant else 'NOT constant'}"
        )
    print(
        f"API pagination: next link {info['api_next']}, "
        f"{info['api_page_rows']} rows a page; ?page_size=10 "
        f"{'accepted' if info['page_size_accepted'] else 'not accepted (ignored)'}"
    )


def explain(cases: list[Case], count: int) -> None:
    """EXPLAIN ANALYZE of the slowest query of the cases that spend most in SQL."""
    from django.db import connection

    if count <= 0:
        return
    slow = sorted(
        (c for c in cases if c.group != "baseline" and c.slowest_sql), key=lambda c: -c.sql_ms
    )[:count]
    seen = set()
    for case in slow:
        if case.slowest_sql in seen:
            continue
        seen.add(case.slowest_sql)
        print(
            f"\nEXPLAIN ANALYZE, slowest query of {case.group}: {case.label} "
            f"(median {case.median:.1f} ms, {case.sql_ms:.1f} ms in SQL)"
        )
        print("  " + case.slowest_sql[:1500] + (" ..." if len(case.slowest_sql) > 1500 else ""))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + case.slowest_sql)
            for (line,) in cursor.fetchall():
                print("    " + line)


# ---- load run -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict) -> int:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status


def _wrk(url: str, args, headers: dict) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--latency",
        "--timeout",
        "5s",
        url,
    ]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def ms(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    if "50" not in latency or "Requests/sec" not in out:
        sys.exit(f"could not read wrk's output:\n{out}")
    total = re.search(r"(\d+) requests in", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(total.group(1)) if total else 0,
        "p50": ms(latency["50"]),
        "p99": ms(latency["99"]),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket": [int(n) for n in socket_errors.groups()] if socket_errors else [0, 0, 0, 0],
    }


def load_run(args) -> list[tuple[str, dict]]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.services import token_create, token_revoke

    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk (or run with --skip-load-run)")
    buyer = get_user_model().objects.get(username=BUYER)
    made = token_create(
        user=buyer,
        name=f"bench-browse {int(time.time())}",
        organisation=buyer.memberships.first().organisation,
    )
    connection.close()
    headers = {"Authorization": f"Token {made.secret}"}
    # The API list twice: computed for every request (the listing cache off), then as
    # production runs it, buyers sharing the cached pages (in Redis when it answers, as the
    # two workers would share it in production; else each worker's own memory).
    shared = {"LISTING_CACHE_SECONDS": "30"}
    if _redis_answers():
        shared["CACHE_URL"] = BENCH_CACHE_URL
    runs = (
        ("/healthz", "/healthz", {"LISTING_CACHE_SECONDS": "0"}),
        ("GET /api/lots/ (computed)", "/api/lots/", {"LISTING_CACHE_SECONDS": "0"}),
        ("GET /api/lots/ (shared cache)", "/api/lots/", shared),
    )
    results = []
    try:
        for label, path, env in runs:
            with _serving(args, env) as base:
                for _ in range(10):  # every worker's first requests: imports, connections
                    _get(f"{base}/healthz", {})
                    if _get(f"{base}/api/lots/", headers) != 200:
                        sys.exit("GET /api/lots/ with the token did not answer 200")
                results.append((label, _wrk(f"{base}{path}", args, headers)))
    finally:
        token_revoke(user=buyer, token=made.token)
    return results


BENCH_CACHE_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def _serving(args, env: dict):
    """gunicorn serving the app with `env` on top of this process's environment."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(gunicorn, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/healthz", {})
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def print_load(results: list[tuple[str, dict]], args) -> None:
    print(
        f"\nload run: gunicorn {args.workers} sync workers on loopback, wrk -t{args.threads} "
        f"-c{args.connections} -d{args.seconds}s, API token; same database"
    )
    print(
        f"{'endpoint':<30} {'req/s':>8} {'requests':>9} {'errors':>7} {'p50 ms':>8} "
        f"{'p99 ms':>8}  goal"
    )
    baseline = results[0][1]["rps"]
    for label, r in results:
        errors = r["non_2xx"] + sum(r["socket"])
        verdict = ""
        if label != "/healthz":
            ok = r["rps"] > LOAD_RPS and errors == 0 and r["p99"] < LOAD_P99_MS
            verdict = (
                f"> {LOAD_RPS:.0f} req/s, 0 errors, p99 < {LOAD_P99_MS:.0f} ms: "
                f"{'met' if ok else 'MISSED'}; {r['rps'] / baseline:.2f}x healthz req/s"
            )
        print(
            f"{label:<30} {r['rps']:>8.1f} {r['requests']:>9} {errors:>7} {r['p50']:>8.1f} "
            f"{r['p99']:>8.1f}  {verdict}"
        )
        if errors:
            connect, read, write, timeout = r["socket"]
            print(
                f"{'':<30} non-2xx {r['non_2xx']}, socket errors: connect {connect}, read "
                f"{read}, write {write}, timeout {timeout}"
            )


# ---- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=100_000)
    parser.add_argument("--packs-per-lot", type=int, default=10)
    parser.add_argument("--reload", action="store_true", help="drop the database and load again")
    parser.add_argument("--skip-load-run", action="store_true")
    parser.add_argument(
        "--runs", type=int, help="timed requests per case (30; 10 below 10,000 lots)"
    )
    parser.add_argument("--explain", type=int, default=4, help="EXPLAIN the N slowest cases")
    parser.add_argument("--seconds", type=int, help="load run length (20; 5 below 10,000 lots)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.lots < 2:
        parser.error("--lots must be at least 2")
    small = args.lots < 10_000  # the smoke size: quick figures, not the issue's
    args.runs = args.runs or (10 if small else 30)
    args.seconds = args.seconds or (5 if small else 20)
    url = environment(args)
    database_prepare(url, drop=args.reload)
    static_collect()
    django_setup()
    expected = (args.lots, (args.lots - 1) * args.packs_per_lot + BIG_LOT_PACKS, True)
    found = loaded_size()
    if found != expected and found[0] > 0:
        print(
            f"the database holds {found[0]:,} lots / {found[1]:,} packs, not "
            f"{expected[0]:,} / {expected[1]:,}: loading again"
        )
        from django.db import connection

        connection.close()
        database_prepare(url, drop=True)
        django_setup()
        found = loaded_size()
    if found == expected:
        print(
            f"reusing the loaded data: {found[0]:,} lots, {found[1]:,} packs (--reload loads again)"
        )
    else:
        load(args)
    from suppliers.models import Lot

    big_lot_id = Lot.objects.get(reference=BIG_LOT_REFERENCE).pk
    small_lot_id = Lot.objects.filter(reference__startswith="SL-", status="listed").order_by("pk")
    small_lot_id = small_lot_id.values_list("pk", flat=True).first()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(
        f"database {connection.settings_dict['NAME']}: {size}; PostgreSQL "
        f"{connection.pg_version // 10000}; {os.cpu_count()} CPUs"
    )
    cases, info = run_in_process(args, big_lot_id, small_lot_id)
    print_cases(cases, info)
    explain(cases, args.explain)
    if not args.skip_load_run:
        print_load(load_run(args), args)


if __name__ == "__main__":
    main()
