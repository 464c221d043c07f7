from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from suppliers.models import Organisation
from suppliers.selectors import SUPPLIER_KINDS

from ...services import PassportInvalid, passport_import


class Command(BaseCommand):
    help = (
        "Create or update a pack of a supplier organisation from a Catena-X BatteryPass 6.1.0 "
        "file: in the named draft lot, its own lot when it is listed already, or else a new "
        "draft lot. An invalid document changes nothing: its problems go to stderr and the "
        "command exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the BatteryPass JSON file")
        parser.add_argument("--supplier", required=True, help="Slug of the supplier organisation")
        parser.add_argument("--lot", default="", help="Reference of one of its draft lots")

    def handle(self, *args, file: str, supplier: str, lot: str, **options):
        try:
            raw = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        organisation = Organisation.objects.filter(slug=supplier, kind__in=SUPPLIER_KINDS).first()
        if organisation is None:
            raise CommandError(f"No supplier organisation has the slug {supplier!r}.")
        try:
            result = passport_import(
                user=None, supplier=organisation, document=raw, lot_reference=lot
            )
        except PassportInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(exc.message) from exc
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        action = "Created" if result.pack_created else "Updated"
        where = "new draft lot" if result.lot_created else "lot"
        self.stdout.write(
            self.style.SUCCESS(
                f"{action} pack {result.pack.serial} in {where} {result.lot.reference} "
                f"(passport {result.record.passport_identifier})."
            )
        )
