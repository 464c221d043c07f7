from django.core.management.base import BaseCommand
from tqdm import tqdm

from marketplace.pipeline import lot_refresh
from suppliers.models import Lot


class Command(BaseCommand):
    help = (
        "Recompute every lot's buyers' figures (route, measured SOH and energy, history flags) "
        "from its evidence, through the lot pipeline; after an upgrade that adds figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lot", type=int, action="append", help="Only this lot (repeatable)")

    def handle(self, *args, **options):
        lots = Lot.objects.order_by("pk")
        if options["lot"]:
            lots = lots.filter(pk__in=options["lot"])
        ids = list(lots.values_list("pk", flat=True))
        for lot_id in tqdm(ids, desc="lots", unit="lot", disable=options["verbosity"] < 1):
            lot_refresh(lot_id=lot_id, reason="figures recomputed")
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} lots refreshed."))
