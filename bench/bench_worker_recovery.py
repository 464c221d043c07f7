"""How soon an upload is recorded after the worker's pool process is SIGKILLed mid-verification,
against the same verification uninterrupted, in the same run. A script, not a test: see
bench/README.md.

The topology of docker-compose.yml as plain processes: a prefork worker (`-c 1`) on PostgreSQL
and a Redis of its own. Each upload is a real 3.5 MB Maccor export (a different file each time:
one more trailing line), uploaded through the same service the API calls.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data" / "cycler" / "maccor_001.txt"


def database(admin_url: str, name: str) -> str:
    """A fresh database for the run (dropped and created again)."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def configure(database_url: str, broker_url: str, media: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        MEDIA_ROOT=str(media),
        LOG_LEVEL="WARNING",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def seed(count: int):
    from django.contrib.auth import get_user_model

    from suppliers.choices import LotStatus, OrganisationKind
    from suppliers.models import Lot, Membership, Organisation, Pack, PackModel

    supplier = Organisation.objects.create(
        name="Bench Supplier", slug="bench", kind=OrganisationKind.SUPPLIER, country="GB"
    )
    user = get_user_model().objects.create_user("bench-supplier", password="x")
    Membership.objects.create(user=user, organisation=supplier)
    cell = PackModel.objects.create(
        manufacturer="LG", model="INR21700-M50", chemistry="NMC", nominal_voltage_v="3.63",
        nominal_capacity_ah="5.0", nominal_energy_kwh="0.018", cells_series=1,
        approved_at=None,
    )  # fmt: skip
    lot = Lot.objects.create(
        supplier=supplier, reference="BENCH-1", pack_model=cell, location="Leeds",
        quantity=count, claimed_soh_pct=91, price_per_kwh=90, status=LotStatus.DRAFT,
    )  # fmt: skip
    packs = [Pack(lot=lot, serial=f"BENCH-{n:03d}") for n in range(count)]
    return user, Pack.objects.bulk_create(packs)


def upload(user, pack, copy: int) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from marketplace.services import test_data_upload

    content = DATA.read_bytes() + b"\n" * copy
    record = test_data_upload(
        user=user,
        pack=pack,
        uploaded_file=SimpleUploadedFile(f"M50_{copy:03d}.txt", content),
        data_format="auto",
    )
    return record.pk


def status(record_id: int) -> str:
    from verification.models import TestRecord

    return TestRecord.objects.values_list("status", flat=True).get(pk=record_id)


def recorded_after(worker, user, pack, copy: int, *, kill: bool) -> tuple[float, float]:
    """Upload, optionally SIGKILL the pool process once the verification has started; returns
    the seconds from the upload's commit to its result, and from the kill to the result."""
    from tests.e2e.workers import wait_for

    uploaded = time.monotonic()
    record_id = upload(user, pack, copy)
    wait_for(lambda: status(record_id) == "processing", timeout_s=60, interval_s=0.005,
             what="verification start")  # fmt: skip
    killed = time.monotonic()
    if kill:
        worker.kill_pool_child()
    wait_for(lambda: status(record_id) in ("done", "failed"), timeout_s=300, interval_s=0.02,
             what="settled")  # fmt: skip
    done = time.monotonic()
    return done - uploaded, done - killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=5, help="uninterrupted verifications")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )  # fmt: skip
    options = parser.parse_args()

    from tests.e2e.workers import PreforkWorker, RedisServer

    workdir = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    redis = RedisServer(workdir / "redis")
    redis.start()
    database_url = database(options.admin_url, "bench_worker_recovery")
    configure(database_url, redis.url, workdir / "media")
    user, packs = seed(options.baseline + options.kills)
    worker = PreforkWorker(env={**os.environ, "LOG_LEVEL": "INFO"}, log=workdir / "worker.log")
    worker.start()
    try:
        baseline, killed, recovery = [], [], []
        for copy, pack in enumerate(packs):
            kill = copy >= options.baseline
            total, since_kill = recorded_after(worker, user, pack, copy, kill=kill)
            (killed if kill else baseline).append(total)
            if kill:
                recovery.append(since_kill)
            label = "killed" if kill else "uninterrupted"
            print(f"  {copy + 1:>3} {label:<14} upload -> recorded {total:6.2f} s", flush=True)
    finally:
        worker.stop()
        redis.stop()

    from django.db.models import Count

    from verification.models import TestRecord, Verification

    runs = Verification.objects.filter(pack__in=packs)
    outcomes = dict(
        TestRecord.objects.filter(pack__in=packs).values_list("status").annotate(Count("pk"))
    )
    takeovers = sum(runs.values_list("takeovers", flat=True))
    base = statistics.median(baseline)

    def line(label: str, values: list[float]) -> str:
        return (f"{label:<44} n={len(values):>3}  median {statistics.median(values):6.2f} s  "
                f"worst {max(values):6.2f} s")  # fmt: skip

    print()
    print(line("upload -> recorded, uninterrupted (baseline)", baseline))
    print(line("upload -> recorded, pool process SIGKILLed", killed))
    print(line("SIGKILL -> recorded (recovery)", recovery))
    print(f"killed / uninterrupted, upload -> recorded: median "
          f"{statistics.median(killed) / base:.1f}x, worst {max(killed) / base:.1f}x")  # fmt: skip
    print(f"outcomes {outcomes}; {runs.count()} runs for {len(packs)} uploads; "
          f"{takeovers} takeovers counted for {len(recovery)} kills")  # fmt: skip


if __name__ == "__main__":
    main()
