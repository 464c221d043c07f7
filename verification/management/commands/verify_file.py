from django.core.management.base import BaseCommand, CommandError

from verification import verify_cli


class Command(BaseCommand):
    help = verify_cli.HELP
    # Reads a file and prints figures: nothing here depends on the project's system checks, and
    # they cost half a second before the first byte is read.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        verify_cli.add_arguments(parser)

    def handle(self, *args, **options):
        try:
            verify_cli.verify(options, self.stdout.write)
        except verify_cli.VerifyError as error:
            raise CommandError(str(error)) from error
