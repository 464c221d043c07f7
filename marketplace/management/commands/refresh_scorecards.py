from django.core.management.base import BaseCommand
from tqdm import tqdm

from marketplace.scorecards import scorecards_refresh_all, supplier_ids_all


class Command(BaseCommand):
    help = "Recompute every supplier organisation's scorecard (the hourly task does the same)."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=200, help="Suppliers per batch")

    def handle(self, *args, **options):
        total = len(supplier_ids_all())
        with tqdm(
            total=total, desc="scorecards", unit="supplier", disable=options["verbosity"] < 1
        ) as bar:
            done = scorecards_refresh_all(chunk_size=options["chunk_size"], progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"{done} supplier scorecards refreshed."))
