import json

from django.core.management.base import BaseCommand, CommandError

from suppliers.models import Pack

from ...selectors import pack_for_serial
from ...services import passport_issue


class Command(BaseCommand):
    help = (
        "Print a live pack's Catena-X BatteryPass 6.1.0 document (JSON) to stdout; the serial "
        "is matched whatever its case."
    )

    def add_arguments(self, parser):
        parser.add_argument("serial", help="The pack's serial or passport id")

    def handle(self, *args, serial: str, **options):
        try:
            pack = pack_for_serial(serial=serial)
        except Pack.DoesNotExist as exc:
            raise CommandError(f"No live pack has the serial {serial!r}.") from exc
        # An operator's command: the full passport, as the pack's supplier would get it.
        record = passport_issue(user=None, pack=pack)
        self.stdout.write(json.dumps(record.document, indent=2, ensure_ascii=False))
