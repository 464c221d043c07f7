"""Routing speed: the pure engine, and a bulk re-route of stored packs with a real worker.

    python bench/bench_routing.py engine            # 1,000,000 decisions, one core
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondlife_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \\
    python bench/bench_routing.py reroute --packs 100000

Prints figures and ratios against a baseline measured in the same run; asserts nothing.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def bench_engine(decisions: int) -> None:
    from routing.domain import PackFacts, Thresholds, decide

    rng = random.Random(7)
    chemistries = ["LFP"] * 6 + ["NMC", "NCA", "LMO", "LTO", "unknown"]
    events = [frozenset()] * 20 + [frozenset({"thermal-event"}), frozenset({"deep-discharge"})]
    distinct = [
        PackFacts(
            chemistry=rng.choice(chemistries),
            soh_pct=rng.uniform(5, 100),
            weakest_cell_soh_pct=rng.choice([None, rng.uniform(5, 100)]),
            resistance_ratio=rng.choice([None, rng.uniform(0.8, 2.5)]),
            events=rng.choice(events),
            has_history=rng.random() > 0.05,
            calendar_expired=rng.random() < 0.03,
            verified=rng.random() > 0.2,
        )
        for _ in range(100_000)
    ]
    facts = (distinct * (decisions // len(distinct) + 1))[:decisions]
    thresholds = Thresholds()

    def baseline(f):  # the floor: one Python call and one attribute read per pack
        return f.soh_pct

    start = time.perf_counter()
    for f in facts:
        baseline(f)
    floor_s = time.perf_counter() - start

    start = time.perf_counter()
    routes: dict[str, int] = {}
    for f in facts:
        route = decide(f, thresholds).route
        routes[route] = routes.get(route, 0) + 1
    engine_s = time.perf_counter() - start

    # decide() leaves the words to be rendered when read (a page, the API); a re-route stores
    # only the outcome letters and figures. What rendering every word as well costs:
    sample = facts[: min(decisions, 100_000)]
    start = time.perf_counter()
    for f in sample:
        _ = decide(f, thresholds).checks
    words_s = time.perf_counter() - start

    print(f"pure engine: {decisions:,} decisions in {engine_s:.2f} s")
    print(f"  {decisions / engine_s:,.0f} decisions/s on one core (goal > 500,000)")
    print(f"  baseline call loop: {decisions / floor_s:,.0f} calls/s; engine/baseline time "
          f"ratio {engine_s / floor_s:.1f}x")  # fmt: skip
    print(f"  with every rule's words rendered too: {len(sample) / words_s:,.0f} decisions/s")
    print(f"  routes: {dict(sorted(routes.items()))}")


def bench_reroute(packs: int, packs_per_lot: int, chunk_size: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://... (a database the benchmark may fill)")
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        sys.exit("set CELERY_BROKER_URL=redis://... so a real worker does the re-route")
    _create_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    _seed(packs, packs_per_lot)

    from marketplace.services import rule_set_publish
    from routing.domain import Thresholds
    from routing.models import RerouteJob
    from routing.selectors import rule_set_active

    os.environ["REROUTE_CHUNK_LOTS"] = str(chunk_size)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env={**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false"},
    )  # fmt: skip
    try:
        time.sleep(3)  # let the worker connect before the clock starts
        current = rule_set_active().as_thresholds().to_dict()
        # Alternate between two thresholds so every run changes routes.
        current["reuse_ess_min_soh_pct"] = (
            60.0 if current["reuse_ess_min_soh_pct"] == 75.0 else 75.0
        )
        thresholds = Thresholds(**current)
        start = time.perf_counter()
        job = rule_set_publish(user=None, name="bench", thresholds=thresholds, notes="bench")
        while True:
            job.refresh_from_db()
            if job.is_settled:
                break
            time.sleep(0.2)
        wall_s = time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    connection.close()
    lots = RerouteJob.objects.get(pk=job.pk).total_lots
    print(f"bulk re-route with a real worker on PostgreSQL: {packs:,} packs in {lots:,} lots")
    print(f"  wall time {wall_s:.1f} s from publish to done (goal < 30 s)")
    print(f"  {packs / wall_s:,.0f} packs/s; {job.chunks} chunks of {chunk_size} lots")
    print(f"  {job.changed_lots:,} lots changed route")


def _create_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _seed(packs: int, packs_per_lot: int) -> None:
    """Lots of packs each with a finished verification, as the pipeline would leave them."""
    from tqdm import tqdm

    from marketplace.models import LotSummary
    from routing.selectors import rule_set_active
    from suppliers.models import HistoryEvent, Lot, Organisation, Pack, PackModel
    from verification.models import TestRecord, Verification

    if Pack.objects.count() >= packs:
        print(f"seed: reusing {Pack.objects.count():,} stored packs")
        return
    rng = random.Random(11)
    org, _ = Organisation.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "kind": "supplier"}
    )
    model, _ = PackModel.objects.get_or_create(
        manufacturer="Bench", model="48V", defaults={
            "chemistry": "LFP", "nominal_voltage_v": 51.2, "nominal_capacity_ah": 100,
            "nominal_energy_kwh": 5.12, "cells_series": 16,
        },
    )  # fmt: skip
    rule_set = rule_set_active()
    lots_needed = packs // packs_per_lot
    for start in tqdm(range(0, lots_needed, 1000), desc="seed lots", unit="k lots"):
        batch = [
            Lot(supplier=org, reference=f"B-{n}", pack_model=model, location="Bench",
                quantity=packs_per_lot, claimed_soh_pct=70, price_per_kwh=50, status="verified")
            for n in range(start, min(start + 1000, lots_needed))
        ]  # fmt: skip
        Lot.objects.bulk_create(batch)
        LotSummary.objects.bulk_create(
            LotSummary(lot=lot, route="reuse-ESS", route_provisional=False, rule_set=rule_set)
            for lot in batch
        )
        HistoryEvent.objects.bulk_create(
            HistoryEvent(lot=lot, kind="manufactured", occurred_on="2018-01-01") for lot in batch
        )
        pack_rows = Pack.objects.bulk_create(
            Pack(lot=lot, serial=f"{lot.reference}-{i}")
            for lot in batch
            for i in range(packs_per_lot)
        )
        records = TestRecord.objects.bulk_create(
            TestRecord(pack=p, file="bench.csv", original_name="bench.csv", sha256=f"{p.pk:064x}",
                       size_bytes=1, status="done")
            for p in pack_rows
        )  # fmt: skip
        Verification.objects.bulk_create(
            Verification(pack=r.pack, test_record=r, rule_set_ref=rule_set.pk,
                         rule_set_label=str(rule_set), sha256=r.sha256,
                         status="done", measured_soh_pct=rng.uniform(55, 95),
                         claimed_soh_pct=70, verdict="confirmed", finished_at="2026-01-01T00:00Z")
            for r in records
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    engine = sub.add_parser("engine")
    engine.add_argument("--decisions", type=int, default=1_000_000)
    reroute = sub.add_parser("reroute")
    reroute.add_argument("--packs", type=int, default=100_000)
    reroute.add_argument("--packs-per-lot", type=int, default=10)
    reroute.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()
    if args.what == "engine":
        bench_engine(args.decisions)
    else:
        bench_reroute(args.packs, args.packs_per_lot, args.chunk_size)


if __name__ == "__main__":
    main()
