"""Pack import speed: a 10,000-row CSV and XLSX imported into a draft lot through the service the
web page and the API call, against a baseline doing comparable work in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondlife_bench \\
    python bench/bench_pack_import.py                 # PostgreSQL (the database is created)
    python bench/bench_pack_import.py --rows 20000    # SQLite in a temporary file without one

Each import reads the file, checks every row (serials, SOH, counts, VIN, history dates), checks
the serials against the platform's live packs and the lot's quantity, writes the packs and two
history events per pack in batches, appends the audit entry and refreshes the lot's route, in
one transaction. The baselines parse the same file plainly (`csv.reader`; openpyxl read-only
for the workbook) and write the same rows with one `bulk_create` each: (b1) packs only, (b2)
packs and the same history events. Prints figures and ratios; asserts nothing.
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VIN = "WVWZZZ1JZXW000001"
HEADER = ["serial", "claimed_soh_pct", "cycle_count", "vin", "manufactured_on", "removed_on",
          "notes"]  # fmt: skip


def _rows(prefix: str, count: int) -> list[list[str]]:
    return [
        [f"{prefix}-{n:06d}", f"{70 + n % 25}.5", str(500 + n % 900), VIN, "2018-01-01",
         "2025-05-01", "bench" if n % 10 == 0 else ""]
        for n in range(count)
    ]  # fmt: skip


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def _xlsx(rows: list[list[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Packs")
    sheet.append(HEADER)
    for row in rows:
        # Typed as a spreadsheet keeps them: numbers and dates, not text.
        sheet.append([row[0], float(row[1]), int(row[2]), row[3], date(2018, 1, 1),
                      date(2025, 5, 1), row[6] or None])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _setup_django() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        _create_database(url)
        # A local benchmark database, not production: a throwaway key for this process.
        os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 40)
    elif not url:
        path = Path(tempfile.mkdtemp(prefix="bench-import-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    return f"{connection.vendor} {connection.settings_dict['NAME']}"


def _create_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _seed():
    from django.contrib.auth import get_user_model

    from suppliers.models import Membership, Organisation, PackModel

    org, _ = Organisation.objects.get_or_create(
        slug="bench-import", defaults={"name": "Bench import", "kind": "supplier"}
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-import")
    Membership.objects.get_or_create(user=user, organisation=org)
    model, _ = PackModel.objects.get_or_create(
        manufacturer="Bench", model="48V import", defaults={
            "chemistry": "LFP", "nominal_voltage_v": 51.2, "nominal_capacity_ah": 100,
            "nominal_energy_kwh": 5.12, "cells_series": 16, "approved_at": "2026-01-01T00:00Z",
        },
    )  # fmt: skip
    return user, org, model


def _draft(user, org, model, reference: str, quantity: int):
    from marketplace.services import lot_create

    return lot_create(
        user=user, supplier=org, pack_model=model, reference=reference, location="Bench",
        quantity=quantity + 1, claimed_soh_pct=80, price_per_kwh=50,
        packs=[{"serial": f"{reference}-FIRST"}],
    )  # fmt: skip


def _timed(work):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - start
    return seconds, len(queries), result


def _baseline(lot, data: bytes, kind: str, *, history: bool, tag: str) -> int:
    """Parse plainly, write the same rows with one bulk_create per table."""
    from django.db import transaction

    from suppliers.models import HistoryEvent, Pack

    if kind == "csv":
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        next(reader)
        rows = [(r[0], r[1], int(r[2]), r[3], r[4], r[5], r[6]) for r in reader]
    else:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        cells = book.worksheets[0].iter_rows(values_only=True)
        next(cells)
        rows = [(*r, *(None,) * (len(HEADER) - len(r))) for r in cells]
        book.close()
    with transaction.atomic():
        packs = Pack.objects.bulk_create(
            Pack(lot=lot, serial=f"{tag}{r[0]}", claimed_soh_pct=r[1], cycle_count=r[2])
            for r in rows
        )
        if history:
            HistoryEvent.objects.bulk_create(
                event
                for pack, r in zip(packs, rows, strict=True)
                for event in (
                    HistoryEvent(lot=lot, pack=pack, kind="manufactured", occurred_on=r[4]),
                    HistoryEvent(lot=lot, pack=pack, kind="removed", occurred_on=r[5], vin=r[3],
                                 notes=r[6] or ""),
                )
            )  # fmt: skip
    return len(packs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    where = _setup_django()
    from marketplace.pack_import import pack_import

    user, org, model = _seed()
    run = f"R{int(time.time())}"
    print(f"pack import on {where}: {args.rows:,} rows per file")
    print(f"{'case':<44} {'seconds':>8} {'rows/s':>9} {'queries':>8}")
    for kind, make in (("csv", _csv), ("xlsx", _xlsx)):
        data = make(_rows(f"{run}-{kind}", args.rows))
        lot = _draft(user, org, model, f"{run}-{kind}", args.rows)
        ours_s, ours_q, done = _timed(
            lambda lot=lot, data=data, kind=kind: pack_import(
                user=user, lot=lot, data=data, name=f"bench.{kind}"
            )
        )
        assert done.packs == args.rows, done
        figures = {}
        for label, history in (("b1", False), ("b2", True)):
            base_lot = _draft(user, org, model, f"{run}-{kind}-{label}", args.rows)
            figures[label] = _timed(
                lambda base_lot=base_lot, data=data, kind=kind, history=history, tag=label: (
                    _baseline(base_lot, data, kind, history=history, tag=tag)
                )
            )
        size = f"{len(data) / 1024 / 1024:.2f} MB"
        print(f"{f'{kind.upper()} ({size}) pack_import':<44} {ours_s:>8.2f} "
              f"{args.rows / ours_s:>9,.0f} {ours_q:>8}")  # fmt: skip
        for label, what in (("b1", "plain parse + bulk_create packs"),
                            ("b2", "plain parse + bulk_create packs, history")):  # fmt: skip
            seconds, queries, _ = figures[label]
            print(f"  ({label}) {what:<38} {seconds:>8.2f} {args.rows / seconds:>9,.0f} "
                  f"{queries:>8}")  # fmt: skip
        b1_s, b2_s = figures["b1"][0], figures["b2"][0]
        print(f"  ratio pack_import / b1: {ours_s / b1_s:.1f}x, / b2: {ours_s / b2_s:.1f}x; "
              f"{done.history_events:,} history events")  # fmt: skip


if __name__ == "__main__":
    main()
